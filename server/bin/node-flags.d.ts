/** The flags every start of the server gives node (node-flags.js). */
export declare const SERVER_NODE_FLAGS: readonly string[];
