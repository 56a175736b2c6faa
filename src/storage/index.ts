export { attachmentDisposition } from './attachment-disposition.ts';
export { type DownloadGrant, DownloadLinkSigner, type DownloadLinkSignerOptions } from './download-link-signer.ts';
export { FsStore, type FsStoreOptions } from './fs-store.ts';
export { S3Store, type S3StoreOptions } from './s3-store.ts';
export type { Store, StoredObject } from './store.ts';
export { assertValidKey } from './store-key.ts';
