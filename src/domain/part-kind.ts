/** The two parts a backup can hold: the database dump and the media tar. */
export type PartKind = 'db' | 'media';

/** What a backup or restore covers, as written in commands and the config. */
export type PartsChoice = 'db' | 'media' | 'db+media';
