; Imports, to resolve aliases such as `import numpy as np`.
(import_statement) @import.plain
(import_from_statement) @import.from
