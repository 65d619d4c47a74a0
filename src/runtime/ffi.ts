// koffi's types, named once: the rest of the runtime imports them from here.
import type { LibraryHandle } from 'koffi';

export type FfiLibrary = LibraryHandle;
export type FfiFunction = ReturnType<LibraryHandle['func']>;
