/**
 * Which images are on a Docker engine, as `docker image inspect` sees them.
 * Nothing is pulled: the answer is about this engine only.
 */
import type Docker from "dockerode";

/** The engine answered neither "here it is" nor "no such image" (it went away, or refused). */
export class ImagePresenceError extends Error {
  readonly image: string;
  constructor(image: string, cause: unknown) {
    super(`docker image inspect ${image} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = "ImagePresenceError";
    this.image = image;
  }
}

/** Each image with whether the engine has it; throws ImagePresenceError when the engine cannot say. */
export async function imagesPresent(docker: Docker, images: readonly string[]): Promise<Map<string, boolean>> {
  const answers = await Promise.all(
    images.map(async (image) => {
      try {
        await docker.getImage(image).inspect();
        return [image, true] as const;
      } catch (error) {
        // 404 is the engine's "no such image"; anything else says nothing about the image.
        if ((error as { statusCode?: unknown }).statusCode === 404) return [image, false] as const;
        throw new ImagePresenceError(image, error);
      }
    }),
  );
  return new Map(answers);
}
