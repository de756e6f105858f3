; Writes: plain and augmented assignments and del statements.
(assignment) @write.assign
(augmented_assignment) @write.augmented
(delete_statement) @write.delete
