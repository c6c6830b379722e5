/** Where one destination is in a run, for progress lines. */
export type ProgressStage =
  | 'connecting'
  | 'inspecting'
  | 'inspected'
  | 'applying'
  | 'applied'
  | 'checking'
  | 'checked'
  | 'failed';

/** Told of each destination's progress; the command line decides how to show it. */
export type ProgressListener = (name: string, stage: ProgressStage) => void;
