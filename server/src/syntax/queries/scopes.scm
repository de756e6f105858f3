; Scopes: functions, classes and lambdas. The model nests every other capture
; inside the innermost of these, so each capture needs only the outer node.
(function_definition) @scope.function
(class_definition) @scope.class
(lambda) @scope.lambda
; A `def` or `class` keyword that error recovery left loose in an ERROR node,
; its body parsed as the siblings after it: the model reads the header from the
; text and still opens the scope (model/stranded.ts).
(ERROR "def" @mark.def)
(ERROR "class" @mark.class)
