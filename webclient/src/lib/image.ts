// Turning a picked image into a small square PNG avatar, in a canvas: the centre square of the
// picture, scaled. XEP-0084 §4.2 asks for PNG and suggests 32–96 px; desktop clients show up to
// 192 px, so the side is kept between 96 and 192 px (the picture's own size in between).
import { toBase64 } from '@parley/shared/sasl/encoding';
import { t } from '../i18n/index.svelte.ts';

export const MIN_AVATAR_SIDE = 96;
export const MAX_AVATAR_SIDE = 192;

export interface AvatarImage {
  type: 'image/png';
  bytes: Uint8Array<ArrayBuffer>;
  base64: string;
  width: number;
  height: number;
}

/** The centre square of a width × height picture, and the side of the avatar made from it. */
export function avatarCrop(width: number, height: number): { x: number; y: number; side: number; size: number } {
  const side = Math.min(width, height);
  const size = Math.min(MAX_AVATAR_SIDE, Math.max(MIN_AVATAR_SIDE, side));
  return { x: Math.floor((width - side) / 2), y: Math.floor((height - side) / 2), side, size };
}

export async function avatarFromFile(file: File): Promise<AvatarImage> {
  if (!/^image\/(png|jpeg|gif|webp)$/.test(file.type)) throw new Error(t('error.imageType'));
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error(t('error.imageUnreadable'));
  }
  const { x, y, side, size } = avatarCrop(bitmap.width, bitmap.height);
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const context = canvas.getContext('2d');
  if (!context) throw new Error(t('error.imageResize'));
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, x, y, side, side, 0, 0, size, size);
  bitmap.close();
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error(t('error.imageResize'));
  const bytes = new Uint8Array(await blob.arrayBuffer());
  return { type: 'image/png', bytes, base64: toBase64(bytes), width: size, height: size };
}
