import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** An address on the test network that no host has: routes through it lead nowhere. */
const NOWHERE = '10.77.0.250';

/** Runs `ip` (or another tool) and fails with its stderr. */
async function sh(command: string, args: string[]): Promise<string> {
  try {
    return (await run(command, args)).stdout;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`${command} ${args.join(' ')}: ${stderr?.trim() || String(error)}`);
  }
}

/** One host of the test network: a network namespace with one link to the switch. */
export interface Host {
  readonly name: string;
  /** The namespace's name, for `ip netns exec`. */
  readonly namespace: string;
  readonly address: string;
  /** The switch's end of its link (taken down to cut the host off). */
  readonly switchPort: string;
}

/**
 * Hosts for the fleet tests: network namespaces joined by veth links to a bridge in a namespace of its own (the
 * switch), on 10.77.0.0/24, made by the test and removed by `destroy`. This process (the test) is a host too, at
 * 10.77.0.1, with its end of a link in the root namespace, so it reaches every host directly. Needs root.
 */
export class TestNetwork {
  private readonly tag = randomBytes(2).toString('hex');
  private readonly switchNamespace = `bsf-${this.tag}-switch`;
  private readonly hosts: Host[] = [];
  private readonly rootLink = `bf${this.tag}t`;
  private nextAddress = 2;
  private detours: Array<{ host: Host; to: Host }> = [];

  static async create(): Promise<TestNetwork> {
    const network = new TestNetwork();
    await network.setUp();
    return network;
  }

  /** The address this test process has on the network. */
  readonly testAddress = '10.77.0.1';

  private async setUp(): Promise<void> {
    await sh('ip', ['netns', 'add', this.switchNamespace]);
    await sh('ip', ['-n', this.switchNamespace, 'link', 'add', 'br0', 'type', 'bridge']);
    await sh('ip', ['-n', this.switchNamespace, 'link', 'set', 'br0', 'up']);
    await sh('ip', ['link', 'add', `${this.rootLink}a`, 'type', 'veth', 'peer', 'name', `${this.rootLink}b`]);
    await sh('ip', ['link', 'set', `${this.rootLink}b`, 'netns', this.switchNamespace]);
    await sh('ip', ['-n', this.switchNamespace, 'link', 'set', `${this.rootLink}b`, 'master', 'br0', 'up']);
    await sh('ip', ['addr', 'add', `${this.testAddress}/24`, 'dev', `${this.rootLink}a`]);
    await sh('ip', ['link', 'set', `${this.rootLink}a`, 'up']);
  }

  /** Adds a host with the next address. */
  async addHost(name: string): Promise<Host> {
    const index = this.hosts.length;
    const namespace = `bsf-${this.tag}-${name}`;
    const link = `bf${this.tag}${index}`;
    const address = `10.77.0.${this.nextAddress++}`;
    await sh('ip', ['netns', 'add', namespace]);
    await sh('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
    await sh('ip', ['link', 'add', `${link}a`, 'type', 'veth', 'peer', 'name', `${link}b`]);
    await sh('ip', ['link', 'set', `${link}a`, 'netns', namespace]);
    await sh('ip', ['link', 'set', `${link}b`, 'netns', this.switchNamespace]);
    await sh('ip', ['-n', namespace, 'link', 'set', `${link}a`, 'name', 'eth0']);
    await sh('ip', ['-n', namespace, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
    await sh('ip', ['-n', namespace, 'link', 'set', 'eth0', 'up']);
    await sh('ip', ['-n', this.switchNamespace, 'link', 'set', `${link}b`, 'master', 'br0', 'up']);
    const host = { name, namespace, address, switchPort: `${link}b` };
    this.hosts.push(host);
    return host;
  }

  /** Takes the host's link down at the switch: nothing reaches it or leaves it (no error, packets are lost). */
  async cut(host: Host): Promise<void> {
    await sh('ip', ['-n', this.switchNamespace, 'link', 'set', host.switchPort, 'down']);
  }

  /** Brings the host's link back, and its partitions from other hosts (cutBetween) end. */
  async heal(host: Host): Promise<void> {
    await sh('ip', ['-n', this.switchNamespace, 'link', 'set', host.switchPort, 'up']);
    for (const detour of this.detours.filter((d) => d.host === host)) {
      await sh('ip', ['-n', host.namespace, 'route', 'del', `${detour.to.address}/32`]).catch(() => '');
    }
    this.detours = this.detours.filter((d) => d.host !== host);
  }

  /**
   * Loses, silently, what `host` sends to `to` (a partition between the two; the rest of the network works): the
   * route to `to` goes through a neighbour whose hardware address nobody on the switch has, so packets leave and
   * vanish, and connections stall as over a dead link rather than fail at once. (This kernel has no tc drop action.)
   */
  async cutBetween(host: Host, to: Host): Promise<void> {
    const ip = (...args: string[]) => sh('ip', ['-n', host.namespace, ...args]);
    await ip('neigh', 'replace', NOWHERE, 'lladdr', '02:00:00:00:00:fa', 'dev', 'eth0', 'nud', 'permanent');
    await ip('route', 'replace', `${to.address}/32`, 'via', NOWHERE, 'dev', 'eth0');
    this.detours.push({ host, to });
  }

  /** Limits the host's link to `rate` (tc's notation, e.g. 400mbit) both ways, so that its work takes a while. */
  async throttle(host: Host, rate: string): Promise<void> {
    const tbf = ['qdisc', 'replace', 'dev'];
    const shape = ['root', 'tbf', 'rate', rate, 'burst', '256kb', 'latency', '100ms'];
    await sh('ip', ['netns', 'exec', host.namespace, 'tc', ...tbf, 'eth0', ...shape]);
    await sh('ip', ['netns', 'exec', this.switchNamespace, 'tc', ...tbf, host.switchPort, ...shape]);
  }

  /** The processes running on the host. */
  async pids(host: Host): Promise<number[]> {
    const out = await sh('ip', ['netns', 'pids', host.namespace]);
    return out.split('\n').filter(Boolean).map(Number);
  }

  /** Sends `signal` to every process of the host (SIGKILL: the host dies; SIGSTOP / SIGCONT: it stalls, resumes). */
  async signalAll(host: Host, signal: NodeJS.Signals): Promise<number> {
    const pids = await this.pids(host);
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // gone meanwhile
      }
    }
    return pids.length;
  }

  /** Kills every process of every host and removes the namespaces and links. */
  async destroy(): Promise<void> {
    for (const host of this.hosts) await this.signalAll(host, 'SIGKILL').catch(() => 0);
    for (const host of this.hosts) await sh('ip', ['netns', 'del', host.namespace]).catch(() => '');
    await sh('ip', ['link', 'del', `${this.rootLink}a`]).catch(() => '');
    await sh('ip', ['netns', 'del', this.switchNamespace]).catch(() => '');
  }
}
