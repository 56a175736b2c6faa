/** A clock that stands still until a test moves it; pass `clock.now` wherever code takes `now: () => Date`. */
export class ManualClock {
  #time: number;

  constructor(start: Date = new Date()) {
    this.#time = start.getTime();
  }

  readonly now = (): Date => new Date(this.#time);

  set(time: Date): void {
    this.#time = time.getTime();
  }

  advance(seconds: number): void {
    this.#time += seconds * 1000;
  }
}
