import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { EmojeInputError } from '@emoje/core';
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

/**
 * Turns a manifest into a dialogue the model can predict: each WAV becomes the audio vector of the width the model's
 * audio modality has (`speechVector`: the 77-wide `utteranceVector` of `extractAudioFeatures`, or the 163-wide
 * `audioFunctionals` of the speech-emotion model), each keypoints file the 147-wide body-pose vector of
 * `poseUtteranceVector`, each face file the `faceUtteranceVector` of its frames (`2 * frameWidth + 1` wide: 15 for
 * the 7 face-api expressions, 273 for 68 landmarks, 287 for both; a face vector of another width than the model's face
 * modality is a warning and a missing face). A file that is absent, unreadable or malformed makes that modality missing
 * for the utterance and adds a warning naming the file and the cause; it never throws for that.
 * @throws EmojeInputError when the manifest itself is malformed, or the model's modality widths do not
 * match the extractors'.
 */
export async function featurizeManifest(
  manifest: DialogueManifest,
  modalities: readonly ModalityConfig[],
  { baseDir = '.', names = {} }: { baseDir?: string; names?: ManifestModalities } = {},
): Promise<{ dialogue: DialogueInput; warnings: string[] }> {
  if (!manifest || !Array.isArray(manifest.utterances) || manifest.utterances.length === 0) {
    throw new EmojeInputError('manifest.utterances', 'a non-empty array of utterances', JSON.stringify(manifest?.utterances));
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
  const warnings: string[] = [];
  const path = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const utterances = await Promise.all(
    manifest.utterances.map(async (u, i) => {
      const at = `manifest.utterances[${i}]`;
      if (!u || typeof u.speaker !== 'string' || u.speaker === '') {
        throw new EmojeInputError(`${at}.speaker`, 'a speaker name', JSON.stringify(u?.speaker));
      }
      const features: Record<string, Float32Array | string | null> = {};
      for (const [name, values] of Object.entries(u.features ?? {})) features[name] = values == null ? null : Float32Array.from(values);
      for (const m of modalities) {
        if (m.kind === 'tokens' && features[m.name] == null && typeof u.text === 'string' && u.text.trim() !== '') features[m.name] = u.text;
      }
      if (u.wav != null) {
        if (!audio) warnings.push(`${at}.wav: the model has no '${audioName}' modality; ignored`);
        else {
          try {
            const wav = decodeWav(await readFile(path(u.wav)));
            features[audioName] = speechVector(extractAudioFeatures(wav.samples, wav.sampleRate), (audio as { dim: number }).dim);
          } catch (error) {
            warnings.push(`${at}.wav: ${u.wav} could not be used (${(error as Error).message}); '${audioName}' treated as missing`);
          }
        }
      }
      if (u.keypoints != null) {
        if (!body) warnings.push(`${at}.keypoints: the model has no '${bodyName}' modality; ignored`);
        else {
          try {
            const parsed = JSON.parse(await readFile(path(u.keypoints), 'utf8')) as { layout?: PoseLayout; frames?: PoseFrame[] };
            if (!POSE_LAYOUTS.includes(parsed.layout as PoseLayout) || !Array.isArray(parsed.frames)) {
              throw new Error(`expected {"layout": ${POSE_LAYOUTS.map((l) => `"${l}"`).join(' | ')}, "frames": [...]}`);
            }
            const pose = poseFeatures(parsed.frames, { layout: parsed.layout as PoseLayout });
            if (!pose.frameMask.some((v) => v > 0)) throw new Error('no frame with a detected body');
            features[bodyName] = poseUtteranceVector(pose);
          } catch (error) {
            warnings.push(`${at}.keypoints: ${u.keypoints} could not be used (${(error as Error).message}); '${bodyName}' treated as missing`);
          }
        }
      }
      if (u.face != null) {
        if (!face) warnings.push(`${at}.face: the model has no '${faceName}' modality; ignored`);
        else {
          try {
            const parsed = JSON.parse(await readFile(path(u.face), 'utf8')) as { frames?: Array<FaceFrame | null>; expressionKeys?: string[] };
            if (parsed === null || typeof parsed !== 'object' || !Array.isArray(parsed.frames)) {
              throw new Error('expected {"frames": [{"landmarks"?: [...], "expressions"?: {...}} | null, ...]}');
            }
            const frames = faceFeatures(parsed.frames, parsed.expressionKeys ? { expressionKeys: parsed.expressionKeys } : {});
            if (!frames.frameMask.some((v) => v > 0)) throw new Error('no frame with a detected face');
            const vector = faceUtteranceVector(frames);
            if (vector.length !== faceDim) {
              throw new Error(`its face vector is ${vector.length} wide (frames of width ${frames.featureDim}), the model's '${faceName}' modality ${faceDim}`);
            }
            features[faceName] = vector;
          } catch (error) {
            warnings.push(`${at}.face: ${u.face} could not be used (${(error as Error).message}); '${faceName}' treated as missing`);
          }
        }
      }
      return { speaker: u.speaker, features };
    }),
  );
  return { dialogue: { utterances }, warnings };
}

/** Reads and featurizes a manifest file; relative media paths resolve against the manifest's folder. */
export async function featurizeManifestFile(file: string, modalities: readonly ModalityConfig[], names?: ManifestModalities) {
  let manifest: DialogueManifest;
  try {
    manifest = JSON.parse(await readFile(file, 'utf8')) as DialogueManifest;
  } catch (error) {
    throw new EmojeInputError('--manifest', 'a readable JSON dialogue manifest', `${file} (${(error as Error).message})`);
  }
  return featurizeManifest(manifest, modalities, { baseDir: dirname(file), names });
}
