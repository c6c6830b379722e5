type Paint = (text: string) => string;

/** The colours the views use; all of them identity functions when colour is off. */
export interface Palette {
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
  bold: Paint;
  dim: Paint;
}

const codes: Record<keyof Palette, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  bold: [1, 22],
  dim: [2, 22],
};

export function createPalette(enabled: boolean): Palette {
  const paint = ([open, close]: [number, number]): Paint =>
    enabled ? (text) => `\u001b[${open}m${text}\u001b[${close}m` : (text) => text;
  return {
    red: paint(codes.red),
    green: paint(codes.green),
    yellow: paint(codes.yellow),
    cyan: paint(codes.cyan),
    bold: paint(codes.bold),
    dim: paint(codes.dim),
  };
}

export const plainPalette: Palette = createPalette(false);
