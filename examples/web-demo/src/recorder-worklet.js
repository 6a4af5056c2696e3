// AudioWorklet processor: posts each block of the first input channel to the page (the page featurizes it).
class EmojeRecorder extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel && channel.length) this.port.postMessage(channel.slice(0));
    return true;
  }
}
registerProcessor('emoje-recorder', EmojeRecorder);
