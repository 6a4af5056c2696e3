/** What a pretrained model is, what it expects and how well it does (measured by its training script). */
export interface PretrainedInfo {
  name: string;
  description: string;
  /** Class names in output order. */
  classes: string[];
  /** Modalities with their feature widths, as the model expects them. */
  modalities: { name: string; dim: number; features: string }[];
  /** Test-split results written by the training script (see the package README). */
  files: { model: string; weights: string };
  license: string;
}

/** The catalog of bundled models. */
export const PRETRAINED: Record<'mosi', PretrainedInfo> = {
  mosi: {
    name: 'mosi',
    description: 'AM²-EmoJE trained once on CMU-MOSI (bc-LSTM utterance features) with modality dropout; binary sentiment; works with any subset of text, audio and visual.',
    classes: ['negative', 'positive'],
    modalities: [
      { name: 'text', dim: 100, features: 'bc-LSTM text CNN utterance features' },
      { name: 'audio', dim: 73, features: 'bc-LSTM openSMILE audio utterance features' },
      { name: 'visual', dim: 100, features: 'bc-LSTM 3D-CNN visual utterance features' },
    ],
    files: { model: 'mosi/model.json', weights: 'mosi/weights.bin' },
    license: 'MIT (weights trained on CMU-MOSI features from declare-lab/multimodal-deep-learning, MIT)',
  },
};

export type PretrainedName = keyof typeof PRETRAINED;

/** The info of `name`, or an error listing the known names. */
export function pretrainedInfo(name: string): PretrainedInfo {
  const info = (PRETRAINED as Record<string, PretrainedInfo>)[name];
  if (!info) throw new Error(`pretrained model: expected one of ${Object.keys(PRETRAINED).join(', ')}, received ${JSON.stringify(name)}`);
  return info;
}
