/**
 * The part of a backup that retention looks at; a catalogue `Backup` fits as it is. Kept free of the state types so
 * retention stays a pure module with no dependencies.
 */
export interface RetentionCandidate {
  id: string;
  trigger: 'scheduled' | 'on-demand';
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  createdAt: Date;
  pinned: boolean;
}
