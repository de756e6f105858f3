; Every call. The model reads the callee and the argument list from fields.
(call) @call
