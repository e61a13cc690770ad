// Worker thread entry: describes files sent by the pool (see pool.ts).
import { parentPort } from 'node:worker_threads';
import { describeFile, type DescribeTask } from './describe.js';

parentPort?.on('message', async (msg: { id: number; task: DescribeTask }) => {
  try {
    const result = await describeFile(msg.task);
    parentPort!.postMessage({ id: msg.id, result });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: (err as Error).message });
  }
});
