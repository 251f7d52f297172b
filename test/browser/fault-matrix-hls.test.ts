// The fault matrix's HLS rows (fault-matrix.ts), run in every engine.
import { describeMatrix } from './fault-matrix.js';

describeMatrix('hls');
