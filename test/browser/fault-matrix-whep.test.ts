// The fault matrix's WHEP rows (fault-matrix.ts), run where there is WebRTC.
import { describeMatrix } from './fault-matrix.js';

describeMatrix('whep');
