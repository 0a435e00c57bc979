// Turning a picked image into a small square avatar for a vCard PHOTO (XEP-0153 §5 suggests small images).
import { t } from '../i18n/index.svelte.ts';
const SIZE = 128;

export async function avatarFromFile(file: File): Promise<{ type: string; base64: string }> {
  if (!/^image\/(png|jpeg|gif|webp)$/.test(file.type)) throw new Error(t('error.imageType'));
  const bitmap = await createImageBitmap(file);
  const side = Math.min(bitmap.width, bitmap.height);
  const canvas = document.createElement('canvas');
  canvas.width = SIZE;
  canvas.height = SIZE;
  const context = canvas.getContext('2d');
  if (!context) throw new Error(t('error.imageResize'));
  context.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, SIZE, SIZE);
  const dataUrl = canvas.toDataURL('image/png');
  return { type: 'image/png', base64: dataUrl.slice(dataUrl.indexOf(',') + 1) };
}
