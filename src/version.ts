/** The package version; a unit test keeps it equal to package.json's. Part of every cache key. */
export const PACKAGE_VERSION = '0.1.0';
/** Version of the artifact's C ABI (the launcher's signature and the _info string). */
export const ABI_VERSION = 3; // 2: scale, shift and residual pointers before the output; 3: the 1x1 weights and bias after them
