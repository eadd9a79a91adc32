/** Heatmaps of the playground: one pixel per value, scaled up by CSS. */

/** Which values of a flat array a heatmap shows: `rows` x `cols`, rows `stride` apart. */
export interface HeatmapView {
  rows: number;
  cols: number;
  stride: number;
}

export const DIVERGING = [
  [15, 118, 110],
  [94, 234, 212],
  [248, 250, 252],
  [165, 180, 252],
  [55, 48, 163],
];
export const SEQUENTIAL = [
  [248, 250, 252],
  [254, 215, 170],
  [251, 146, 60],
  [225, 29, 72],
  [136, 19, 55],
];
export function ramp(stops: number[][], t: number): number[] {
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return stops[i].map((v, k) => v + (stops[i + 1][k] - v) * f);
}

export function paint(canvas: HTMLCanvasElement | null, view: HeatmapView, value: (i: number) => number, color: (v: number) => number[]): void {
  if (!canvas) return;
  canvas.width = view.cols;
  canvas.height = view.rows;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(view.cols, view.rows);
  for (let r = 0; r < view.rows; r++) {
    for (let c = 0; c < view.cols; c++) {
      const rgb = color(value(r * view.stride + c));
      const o = (r * view.cols + c) * 4;
      img.data[o] = rgb[0];
      img.data[o + 1] = rgb[1];
      img.data[o + 2] = rgb[2];
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}
