; Scopes: functions, classes and lambdas. The model nests every other capture
; inside the innermost of these, so each capture needs only the outer node.
(function_definition) @scope.function
(class_definition) @scope.class
(lambda) @scope.lambda
