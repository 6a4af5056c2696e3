import * as tf from '@tensorflow/tfjs-core';
if (process.argv[2] === 'share') {
  await import('@tensorflow/tfjs-backend-wasm');
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: ({ inputs, backend }) => { const x = inputs.x as tf.TensorInfo; (backend as any).incRef(x.dataId); return { dataId: x.dataId, shape: x.shape, dtype: x.dtype }; } });
}
await import('./_speed');
