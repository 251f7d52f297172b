// One slice of a crowd, in a worker thread: imports the bundled simulation and returns the
// partial counts (typed arrays are transferred, not copied).
import { parentPort, workerData } from 'node:worker_threads';

const { bundle, scenario, from, to } = workerData;
const { simulateCrowd } = await import(bundle);
const result = await simulateCrowd(scenario, from, to);
const arrays = [result.probes, result.returns, result.playback, result.fallbackProbes, result.returnDelays];
for (const counts of Object.values(result.servers)) {
  arrays.push(counts.probes, counts.starts, counts.playback, counts.landings, counts.firstRequestDelays);
}
parentPort.postMessage(
  result,
  arrays.map((array) => array.buffer),
);
