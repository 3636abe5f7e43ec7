/**
 * A picture the API would refuse, made into one it takes: a phone's photo
 * over the size limit, or a type the browser can show but the API does not
 * read (HEIC, AVIF, BMP). It is drawn on a canvas, at most FIT_SIDES_PX[0]
 * on its longer side (the Messages API scales larger pictures down anyway),
 * and saved as JPEG on white (JPEG has no transparency), smaller and smaller
 * until it fits. Browser only (canvas, createImageBitmap).
 */

/** The longer side tried, in turn, until the JPEG fits the limit. */
const FIT_SIDES_PX = [2048, 1568, 1024, 768] as const;
const JPEG_QUALITY = 0.85;

export interface FittedImage {
  file: File;
  width: number;
  height: number;
}

/** The picture as a JPEG under `maxBytes`; throws when the browser cannot read it or no size fits. */
export async function fitImage(file: File, maxBytes: number): Promise<FittedImage> {
  const bitmap = await createImageBitmap(file).catch(() => {
    throw new Error(`${file.name} could not be read as a picture by this browser.`);
  });
  try {
    for (const side of FIT_SIDES_PX) {
      const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
      const width = Math.max(1, Math.round(bitmap.width * scale));
      const height = Math.max(1, Math.round(bitmap.height * scale));
      const blob = await draw(bitmap, width, height);
      if (blob && blob.size <= maxBytes) {
        return { file: new File([blob], `${file.name.replace(/\.[^./]*$/, '') || 'picture'}.jpg`, { type: 'image/jpeg' }), width, height };
      }
    }
  } finally {
    bitmap.close();
  }
  throw new Error(`${file.name} stays over the limit even made smaller.`);
}

function draw(bitmap: ImageBitmap, width: number, height: number): Promise<Blob | null> {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) return Promise.resolve(null);
  context.fillStyle = '#ffffff';
  context.fillRect(0, 0, width, height);
  context.drawImage(bitmap, 0, 0, width, height);
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', JPEG_QUALITY));
}
