"""In-call tools: HTTP tools an agent calls while the caller is on the line, and the built-in actions.

- `definitions`: the values (a tool's definition, its scope, methods, limits, built-in names);
- `validation`: the pure checks of a definition (each error names the field);
- `service`: storing, reading (headers masked) and resolving a call's tools; the per-organisation secret;
- `invoker`: the signed, SSRF-safe HTTP request of one invocation;
- `records`: what a call's invocations were, stored and streamed;
- `in_call`: a call's tool belt (function specs for the model, argument checks, invoke and record).
"""
