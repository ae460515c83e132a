// After `next build`: the standalone server serves .next/static and public/ only if they are
// copied next to it (Next leaves that to the deployer). scripts/frontend.sh and Docker run
// `node .next/standalone/server.js` and rely on this copy.
import { copyFileSync, cpSync, existsSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const standalone = path.join(root, ".next", "standalone");
if (!existsSync(path.join(standalone, "server.js"))) {
  console.error(`no standalone server at ${standalone}: is output "standalone" set?`);
  process.exit(1);
}
for (const [from, to] of [
  [path.join(root, ".next", "static"), path.join(standalone, ".next", "static")],
  [path.join(root, "public"), path.join(standalone, "public")],
]) {
  rmSync(to, { recursive: true, force: true });
  if (existsSync(from)) cpSync(from, to, { recursive: true });
}
// Preloaded by scripts/frontend.sh (node --require): sets X-Forwarded-* from the socket.
for (const name of ["forwarded-headers.cjs", "client-address.cjs"]) {
  copyFileSync(path.join(root, "scripts", name), path.join(standalone, name));
}
console.log(`standalone assets copied into ${path.relative(process.cwd(), standalone) || "."}`);
