// The flags every start of the server gives node: parley.js's shebang, `npm start` (package.json),
// deploy/parley.service's ExecStart and the bench's server (test/deploy.test.ts keeps them equal).
//
// --max-semi-space-size=32: V8's young generation (semi-spaces of 32 MB instead of 16 MB). A busy
// server's short-lived objects then die young instead of being copied and promoted: above all the
// stanzas XEP-0198 keeps until the client's <a h/> comes (tens of milliseconds later), which with
// 16 MB survived scavenges and cost the GC threads ~5 % of the server's CPU (bench tcp --sm).
// 64 MB saves no more and adds ~9 KB of RSS per idle connection at 10,000 (the young generation
// keeps its size once a burst of logins grew it); 32 MB adds ~3 KB.
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=32'];
