import { dirname } from 'node:path';
import { EmojeInputError, describeFileValue, describeJsonSyntaxError } from '@emoje/core';
import {
  AUDIO_FUNCTIONALS_WIDTH,
  AUDIO_UTTERANCE_VECTOR_WIDTH,
  POSE_LAYOUTS,
  POSE_UTTERANCE_VECTOR_WIDTH,
  decodeWav,
  extractAudioFeatures,
  speechVector,
  faceFeatures,
  faceUtteranceVector,
  type FaceFrame,
  poseFeatures,
  poseUtteranceVector,
  type PoseFrame,
  type PoseLayout,
} from '@emoje/encoders';
import type { DialogueInput, ModalityConfig } from '@emoje/model';
import { MEDIA_KINDS, readDataFile, readRegularFile, resolveMediaFile, type MediaAccessOptions, type MediaKind, type ResolvedMediaFile } from './user-files';

/** One utterance of a dialogue manifest: media files by path (relative to the manifest). */
export interface ManifestUtterance {
  speaker: string;
  /** Transcript: the input of the model's token (text) modality, when it has one. */
  text?: string;
  /** A WAV file: PCM 8/16/24/32-bit or float, any sample rate, mono or more channels. */
  wav?: string;
  /** A keypoints JSON file: `{ "layout": "coco17" | "mediapipe33", "frames": [[{x, y, score}, ...] | null, ...] }`. */
  keypoints?: string;
  /**
   * A face JSON file: `{ "frames": [{ "landmarks"?: [{x, y}, ...], "expressions"?: {name: p} | [p, ...] } | null, ...],
   * "expressionKeys"?: [...] }`, one entry per video frame, `null` where no face was detected (e.g. the `frames` of
   * `faceApiFrames` from `@emoje/face-api-adapter`). Becomes `faceUtteranceVector(faceFeatures(frames))`.
   */
  face?: string;
  /** Precomputed feature vectors by modality name, used as they are. */
  features?: Record<string, number[] | null>;
}

/** A dialogue described by media files: `{ "utterances": [...] }`. */
export interface DialogueManifest {
  utterances: ManifestUtterance[];
}

/** Which model modality each media kind fills. Defaults: WAV -> `audio`, keypoints -> `body`, face -> `face`. */
export interface ManifestModalities {
  audio?: string;
  body?: string;
  face?: string;
}

/** Options of {@link featurizeManifest}. */
export interface FeaturizeManifestOptions {
  /** The folder relative media paths resolve against, and (unless `media.allowOutside`) the only folder media may come from. Defaults to `.`. */
  baseDir?: string;
  /** Which model modality each media kind fills. */
  names?: ManifestModalities;
  /** Confinement and size caps of media files (see `MediaAccessOptions`). */
  media?: MediaAccessOptions;
  /** How messages name utterance `i`. Defaults to `manifest.utterances[i]`; `featurizeManifestFile` uses `<file> utterances[i]`. */
  locate?: (index: number) => string;
}

/**
 * Turns a manifest into a dialogue the model can predict: each WAV becomes the audio vector of the width the model's
 * audio modality has (`speechVector`: the 77-wide `utteranceVector` of `extractAudioFeatures`, or the 163-wide
 * `audioFunctionals` of the speech-emotion model), each keypoints file the 147-wide body-pose vector of
 * `poseUtteranceVector`, each face file the `faceUtteranceVector` of its frames (`2 * frameWidth + 1` wide: 15 for
 * the 7 face-api expressions, 273 for 68 landmarks, 287 for both; a face vector of another width than the model's face
 * modality is a warning and a missing face).
 *
 * Every media path is checked first, before any file is read (see `resolveMediaFile`): it must resolve, symlinks
 * followed, inside `baseDir` (unless `media.allowOutside`), be a regular file (never a FIFO or a device) and be no
 * larger than the cap of its kind; any of these is an error naming the utterance and field. Then, a file that is
 * absent, unreadable or malformed, or a WAV with no samples, makes that modality missing for the utterance and adds a
 * warning naming the file and what was wrong (never its content). An utterance left with no modality at all is kept:
 * `predict` gives it a "no usable modality" result.
 * @throws EmojeInputError when the manifest itself is malformed, a media path is refused, or the model's modality
 * widths do not match the extractors'.
 */
export async function featurizeManifest(
  manifest: DialogueManifest,
  modalities: readonly ModalityConfig[],
  { baseDir = '.', names = {}, media = {}, locate = (i) => `manifest.utterances[${i}]` }: FeaturizeManifestOptions = {},
): Promise<{ dialogue: DialogueInput; warnings: string[] }> {
  if (!manifest || typeof manifest !== 'object' || !Array.isArray(manifest.utterances) || manifest.utterances.length === 0) {
    throw new EmojeInputError('manifest.utterances', 'a non-empty array of utterances', describeFileValue((manifest as DialogueManifest | null)?.utterances));
  }
  const audioName = names.audio ?? 'audio';
  const bodyName = names.body ?? 'body';
  const faceName = names.face ?? 'face';
  const audio = modalities.find((m) => m.name === audioName);
  const body = modalities.find((m) => m.name === bodyName);
  const face = modalities.find((m) => m.name === faceName);
  if (face && !('dim' in face)) {
    throw new EmojeInputError(`model modality '${faceName}'`, 'a vector modality (the face utterance vector)', `kind ${(face as { kind: string }).kind}`);
  }
  const faceDim = face && 'dim' in face ? face.dim : 0;
  const widthOf = (m: ModalityConfig) => (m.kind === 'vector' ? `width ${m.dim}` : `kind ${m.kind}`);
  if (audio && (audio.kind !== 'vector' || (audio.dim !== AUDIO_UTTERANCE_VECTOR_WIDTH && audio.dim !== AUDIO_FUNCTIONALS_WIDTH))) {
    throw new EmojeInputError(`model modality '${audioName}'`, `width ${AUDIO_UTTERANCE_VECTOR_WIDTH} (the audio utterance vector) or ${AUDIO_FUNCTIONALS_WIDTH} (audioFunctionals)`, widthOf(audio));
  }
  if (body && (body.kind !== 'vector' || body.dim !== POSE_UTTERANCE_VECTOR_WIDTH)) {
    throw new EmojeInputError(`model modality '${bodyName}'`, `width ${POSE_UTTERANCE_VECTOR_WIDTH} (the body-pose utterance vector)`, widthOf(body));
  }
  const target: Record<MediaKind, { name: string; present: boolean }> = {
    wav: { name: audioName, present: !!audio },
    keypoints: { name: bodyName, present: !!body },
    face: { name: faceName, present: !!face },
  };
  const warnings: string[] = [];
  // Pass 1: check the manifest and every media path before reading any file.
  const resolved = await Promise.all(
    manifest.utterances.map(async (u, i) => {
      const at = locate(i);
      if (!u || typeof u !== 'object' || typeof u.speaker !== 'string' || u.speaker === '') {
        throw new EmojeInputError(`${at}.speaker`, 'a speaker name', describeFileValue(u?.speaker));
      }
      if (u.features != null && (typeof u.features !== 'object' || Array.isArray(u.features))) {
        throw new EmojeInputError(`${at}.features`, 'an object of feature vectors by modality name', describeFileValue(u.features));
      }
      const files: Partial<Record<MediaKind, ResolvedMediaFile | { absent: string }>> = {};
      for (const kind of MEDIA_KINDS) {
        const ref = u[kind];
        if (ref == null) continue;
        if (typeof ref !== 'string' || ref === '') throw new EmojeInputError(`${at}.${kind}`, 'a file path', describeFileValue(ref));
        if (!target[kind].present) {
          warnings.push(`${at}.${kind}: the model has no '${target[kind].name}' modality; ignored`);
          continue;
        }
        files[kind] = await resolveMediaFile(ref, kind, baseDir, `${at}.${kind}`, media);
      }
      return files;
    }),
  );
  // Pass 2: read and featurize, one utterance at a time (a long manifest never opens thousands of files at once).
  const utterances: DialogueInput['utterances'] = [];
  for (const [i, u] of manifest.utterances.entries()) {
    const at = locate(i);
    const features: Record<string, Float32Array | string | null> = {};
    for (const [name, values] of Object.entries(u.features ?? {})) {
      if (values != null && !Array.isArray(values)) throw new EmojeInputError(`${at}.features.${name}`, 'an array of numbers, or null', describeFileValue(values));
      features[name] = values == null ? null : Float32Array.from(values);
    }
    for (const m of modalities) {
      if (m.kind === 'tokens' && features[m.name] == null && typeof u.text === 'string' && u.text.trim() !== '') features[m.name] = u.text;
    }
    for (const kind of MEDIA_KINDS) {
      const file = resolved[i][kind];
      if (!file) continue;
      const name = target[kind].name;
      try {
        if ('absent' in file) throw new Error(`cannot be opened (${file.absent})`);
        const bytes = await readRegularFile(file.path, `${at}.${kind}`, file.size);
        features[name] = featurize(kind, bytes, { audioDim: (audio as { dim?: number } | undefined)?.dim ?? AUDIO_UTTERANCE_VECTOR_WIDTH, faceDim, faceName });
      } catch (error) {
        if (error instanceof EmojeInputError && error.field === `${at}.${kind}`) throw error;
        warnings.push(`${at}.${kind}: ${u[kind]} could not be used (${reason(error)}); '${name}' treated as missing`);
      }
    }
    utterances.push({ speaker: u.speaker, features });
  }
  return { dialogue: { utterances }, warnings };
}

/** What went wrong with a media file, in words that hold none of its content. */
function reason(error: unknown): string {
  if (error instanceof SyntaxError) return describeJsonSyntaxError(error);
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code) return `cannot be read (${code})`;
  return error instanceof Error ? error.message : 'unusable';
}

/** One media file's bytes to the model's vector of that modality; throws (content-free messages) when unusable. */
function featurize(kind: MediaKind, bytes: Buffer, widths: { audioDim: number; faceDim: number; faceName: string }): Float32Array {
  const { audioDim, faceDim, faceName } = widths;
  if (kind === 'wav') {
    const wav = decodeWav(bytes);
    if (wav.samples.length === 0) throw new Error('a valid WAV header but no samples');
    // the model's audio width picks the vector: 77 (utteranceVector) or 163 (audioFunctionals)
    return speechVector(extractAudioFeatures(wav.samples, wav.sampleRate), audioDim);
  }
  const parsed = JSON.parse(bytes.toString('utf8')) as unknown;
  if (kind === 'keypoints') {
    const file = parsed as { layout?: PoseLayout; frames?: PoseFrame[] } | null;
    if (!file || typeof file !== 'object' || !POSE_LAYOUTS.includes(file.layout as PoseLayout) || !Array.isArray(file.frames)) {
      throw new Error(`expected {"layout": ${POSE_LAYOUTS.map((l) => `"${l}"`).join(' | ')}, "frames": [...]}`);
    }
    const pose = poseFeatures(file.frames, { layout: file.layout as PoseLayout });
    if (!pose.frameMask.some((v) => v > 0)) throw new Error('no frame with a detected body');
    return poseUtteranceVector(pose);
  }
  const file = parsed as { frames?: Array<FaceFrame | null>; expressionKeys?: string[] } | null;
  if (!file || typeof file !== 'object' || !Array.isArray(file.frames)) {
    throw new Error('expected {"frames": [{"landmarks"?: [...], "expressions"?: {...}} | null, ...]}');
  }
  if (file.expressionKeys !== undefined && (!Array.isArray(file.expressionKeys) || file.expressionKeys.some((k) => typeof k !== 'string'))) {
    throw new Error('expected "expressionKeys" to be an array of names');
  }
  const frames = faceFeatures(file.frames, file.expressionKeys ? { expressionKeys: file.expressionKeys } : {});
  if (!frames.frameMask.some((v) => v > 0)) throw new Error('no frame with a detected face');
  const vector = faceUtteranceVector(frames);
  if (vector.length !== faceDim) {
    throw new Error(`its face vector is ${vector.length} wide (frames of width ${frames.featureDim}), the model's '${faceName}' modality ${faceDim}`);
  }
  return vector;
}

/**
 * Reads and featurizes a manifest file (a regular JSON file of at most 256 MiB); relative media paths resolve against
 * the manifest's folder, and media must lie inside it unless `media.allowOutside`.
 * @throws EmojeInputError naming `--manifest` and the file when it cannot be read or is not valid JSON (without quoting it).
 */
export async function featurizeManifestFile(file: string, modalities: readonly ModalityConfig[], names?: ManifestModalities, media?: MediaAccessOptions) {
  const text = await readDataFile(file, '--manifest', 'a readable JSON dialogue manifest');
  let manifest: DialogueManifest;
  try {
    manifest = JSON.parse(text) as DialogueManifest;
  } catch (error) {
    throw new EmojeInputError('--manifest', 'a JSON dialogue manifest', `${JSON.stringify(file)}, ${describeJsonSyntaxError(error)}`);
  }
  return featurizeManifest(manifest, modalities, { baseDir: dirname(file), names, media, locate: (i) => `${file} utterances[${i}]` });
}
