// The Backups view's one script: times in the viewer's time zone and live progress of operations from the API's
// event stream. Every page works without it.

interface OperationEvent {
  id: string;
  kind: string;
  subjectId: string;
  target: string | null;
  status: string;
  phase: string | null;
  bytesDone: number;
  bytesExpected: number | null;
  error: string | null;
}

const ended = new Set(['succeeded', 'failed', 'cancelled']);

function localTimes(root: ParentNode): void {
  const exact = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  for (const element of root.querySelectorAll<HTMLTimeElement>('time[datetime]')) {
    const when = new Date(element.dateTime);
    if (Number.isNaN(when.getTime())) continue;
    const seconds = Math.round((when.getTime() - Date.now()) / 1000);
    const [amount, unit] = relativeUnit(seconds);
    element.textContent = `${relative.format(amount, unit)} (${exact.format(when)})`;
    element.title = when.toISOString();
  }
}

function relativeUnit(seconds: number): [number, Intl.RelativeTimeFormatUnit] {
  const abs = Math.abs(seconds);
  if (abs < 60) return [seconds, 'second'];
  if (abs < 3600) return [Math.round(seconds / 60), 'minute'];
  if (abs < 86400) return [Math.round(seconds / 3600), 'hour'];
  return [Math.round(seconds / 86400), 'day'];
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function show(operation: OperationEvent): void {
  for (const row of document.querySelectorAll<HTMLElement>(`[data-operation="${CSS.escape(operation.id)}"]`)) {
    row.dataset['status'] = operation.status;
    const status = row.querySelector<HTMLElement>('[data-field="status"]');
    if (status) {
      status.textContent = operation.status;
      status.className = `status ${operation.status}`;
    }
    const phase = row.querySelector<HTMLElement>('[data-field="phase"]');
    if (phase) phase.textContent = operation.phase ?? '';
    const bytes = row.querySelector<HTMLElement>('[data-field="bytes"]');
    if (bytes) bytes.textContent = operation.bytesDone > 0 ? formatBytes(operation.bytesDone) : '';
    const bar = row.querySelector<HTMLProgressElement>('progress');
    if (bar && operation.bytesExpected)
      bar.value = Math.min(100, (operation.bytesDone / operation.bytesExpected) * 100);
    if (bar && ended.has(operation.status)) bar.value = 100;
    if (ended.has(operation.status) && row.closest('[data-reload-on-end]')) window.location.reload();
    else if (ended.has(operation.status) && row.closest('[data-live-list]') && !row.querySelector('[data-reload]')) {
      // The tables below are the server's: say that the finished work shows there after a reload.
      const reload = document.createElement('a');
      reload.href = window.location.href;
      reload.dataset['reload'] = '';
      reload.textContent = 'finished: reload to see it in the list';
      row.append(' ', reload);
    }
  }
  if (!document.querySelector(`[data-operation="${CSS.escape(operation.id)}"]`) && !ended.has(operation.status)) {
    addRow(operation);
  }
}

/** New work on a list that follows a target (or every target, `*`) appears without a reload. */
function addRow(operation: OperationEvent): void {
  for (const list of document.querySelectorAll<HTMLElement>('[data-live-list]')) {
    const follows = list.dataset['liveList'];
    if (follows !== '*' && follows !== operation.target) continue;
    list.querySelector('[data-empty]')?.remove();
    let items = list.querySelector('ul.operations');
    if (!items) {
      items = document.createElement('ul');
      items.className = 'operations';
      list.append(items);
    }
    const row = document.createElement('li');
    row.dataset['operation'] = operation.id;
    const link = document.createElement('a');
    link.href = `/operations/${encodeURIComponent(operation.id)}`;
    link.textContent = `${operation.kind} ${operation.subjectId}`;
    const status = document.createElement('span');
    status.dataset['field'] = 'status';
    const phase = document.createElement('span');
    phase.dataset['field'] = 'phase';
    const bytes = document.createElement('span');
    bytes.dataset['field'] = 'bytes';
    const bar = document.createElement('progress');
    bar.max = 100;
    bar.setAttribute('aria-label', `Progress of ${operation.kind} ${operation.subjectId}`);
    row.append(link, ' ', status, ' ', phase, ' ', bytes, ' ', bar);
    items.append(row);
    show(operation);
  }
}

function follow(): void {
  if (!document.querySelector('[data-operation], [data-live-list]')) return;
  const events = new EventSource('/api/v1/events');
  events.addEventListener('operation', (event) => {
    show(JSON.parse((event as MessageEvent<string>).data) as OperationEvent);
  });
  events.addEventListener('end', () => events.close());
  // Work that ended between the page being made and the stream opening sends no event: ask for its state once the
  // stream is open (and again after each reconnection).
  events.addEventListener('open', () => {
    for (const row of document.querySelectorAll<HTMLElement>('[data-operation]')) {
      const id = row.dataset['operation'];
      if (id === undefined || ended.has(row.dataset['status'] ?? '')) continue;
      void fetch(`/api/v1/operations/${encodeURIComponent(id)}`, { headers: { accept: 'application/json' } })
        .then((response) => (response.ok ? (response.json() as Promise<OperationEvent>) : undefined))
        .then((operation) => {
          if (operation) show(operation);
        })
        .catch(() => undefined);
    }
  });
}

/** A form sent once: its buttons are disabled until the next page (the server also does a form's work only once). */
function sendOnce(): void {
  document.addEventListener('submit', (event) => {
    const form = event.target as HTMLFormElement;
    if (form.method.toLowerCase() !== 'post') return;
    if (form.dataset['sent'] === 'yes') {
      event.preventDefault();
      return;
    }
    form.dataset['sent'] = 'yes';
    // After this turn, so the pressed button's own name and value still go with the form.
    setTimeout(() => {
      for (const button of form.querySelectorAll<HTMLButtonElement>('button[type="submit"]')) button.disabled = true;
    });
  });
  // A page shown again from the back-forward cache takes forms again.
  window.addEventListener('pageshow', () => {
    for (const form of document.querySelectorAll<HTMLFormElement>('form[data-sent]')) {
      delete form.dataset['sent'];
      for (const button of form.querySelectorAll<HTMLButtonElement>('button[type="submit"]')) button.disabled = false;
    }
  });
}

localTimes(document);
// "2 minutes ago" stays true while the page is open.
setInterval(() => localTimes(document), 30_000);
sendOnce();
follow();
document.documentElement.dataset['live'] = 'ready';
