/**
 * The `.scm` query sources, one concern per file. They are inlined into the
 * bundle as text and compiled once, joined into a single query, by parser.ts.
 */
import assignments from './queries/assignments.scm?raw';
import calls from './queries/calls.scm?raw';
import control from './queries/control.scm?raw';
import imports from './queries/imports.scm?raw';
import scopes from './queries/scopes.scm?raw';

export const QUERY_SOURCES: Record<string, string> = { scopes, control, calls, assignments, imports };
