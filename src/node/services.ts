// The app services a node holds (each built once, when first asked for, by the module that wires it).
import type { Pim } from '../app/pim.js';

export interface NodeServices {
  pim?: Pim;
}
