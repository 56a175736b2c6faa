export { BlockSealer } from './block-sealer.ts';
export { createDecryptStream } from './decrypt-stream.ts';
export { createEncryptStream, startAgeFile } from './encrypt-stream.ts';
export { generateIdentity } from './generate-identity.ts';
export { checkMetadataSignature, type MetadataSignature, signMetadata } from './metadata-signature.ts';
export { parseIdentityFile } from './parse-identity-file.ts';
export { parseRecipient } from './parse-recipient.ts';
export { readIdentityFiles } from './read-identity-files.ts';
export { recipientOf } from './recipient-of.ts';
