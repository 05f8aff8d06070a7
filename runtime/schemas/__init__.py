"""Registry schemas, as both the generator and the local cloud read them.

`loading` finds a type's schema (schemas/, then the cfn-lint bundle) and applies its
`.patch.json` fix; `patterns` turns a registry pattern (ECMA/Java dialect) into the `regex`
package's. May import `cloudforge.errors` only: never the engine, the CLI, the local cloud or
the generator, so that the run-time side can load a schema without importing cloudforge.codegen.
"""
