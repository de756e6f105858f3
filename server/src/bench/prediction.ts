/**
 * The static side of the comparison: what the analysis predicts for the
 * benchmarked function. It runs the normal engine pipeline (syntax → model →
 * analysis) on the file and classifies the named function as it would a
 * thread target. A function it cannot find gets the prediction `unknown`, and
 * the verdict then only reports the measurement.
 */
import fs from 'node:fs';
import type { Classification } from '../analysis/types';
import { defaultConfig } from '../analysis/types';
import { classifySource, initSyntax } from '../engine';

export interface Prediction {
  classification: Classification;
  reasons: string[];
}

const UNKNOWN: Prediction = { classification: 'unknown', reasons: [] };

/** Classifies `function` (`name` or `Class.method`) in `file`; never throws. */
export async function predict(file: string, text: string | undefined, fn: string): Promise<Prediction> {
  try {
    const source = text ?? fs.readFileSync(file, 'utf8');
    const syntax = await initSyntax();
    const result = classifySource(syntax, { path: file, text: source }, fn, defaultConfig());
    if (!result) return UNKNOWN;
    return { classification: result.classification, reasons: result.reasons.map((r) => r.text) };
  } catch {
    // The analysis is advice; a parse problem must not stop a measurement.
    return UNKNOWN;
  }
}
