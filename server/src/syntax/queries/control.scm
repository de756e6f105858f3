; Control regions that change what a statement means for threads: loops and
; comprehensions (repetition), with-blocks (locks, pools), ifs (check-then-act,
; the __main__ guard), try statements (the exceptions a body is ready for) and
; name declarations.
(for_statement) @region.for
(while_statement) @region.while
[
  (list_comprehension)
  (set_comprehension)
  (dictionary_comprehension)
  (generator_expression)
] @region.comprehension
(with_statement) @region.with
(if_statement) @region.if
(try_statement) @region.try
; What functions hand back: return values and yielded items (value flow).
(return_statement) @flow.return
(yield) @flow.yield
(global_statement) @decl.global
(nonlocal_statement) @decl.nonlocal
; Awaited expressions: a call ending where an await ends is awaited.
(await) @mark.await
