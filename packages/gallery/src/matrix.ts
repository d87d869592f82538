/**
 * A growable row-major matrix of vectors with an id per row. Deleting moves the last row into the hole,
 * so rows stay packed and a search can read rows [0, count) as one contiguous block.
 */
export class VectorMatrix {
  private data: Float32Array;
  private rows = 0;
  readonly ids: string[] = [];
  readonly subjects: string[] = [];
  private readonly rowIndex = new Map<string, number>();

  constructor(
    readonly dims: number,
    initialCapacity = 1024,
  ) {
    this.data = new Float32Array(dims * initialCapacity);
  }

  get count(): number {
    return this.rows;
  }

  /** The live rows as one contiguous view (no copy). */
  get block(): Float32Array {
    return this.data.subarray(0, this.rows * this.dims);
  }

  set(id: string, subject: string, vector: Float32Array): void {
    if (vector.length !== this.dims) throw new Error(`vector has ${vector.length} dims; this index holds ${this.dims}`);
    let row = this.rowIndex.get(id);
    if (row === undefined) {
      if ((this.rows + 1) * this.dims > this.data.length) {
        const grown = new Float32Array(this.data.length * 2);
        grown.set(this.data);
        this.data = grown;
      }
      row = this.rows++;
      this.rowIndex.set(id, row);
      this.ids[row] = id;
    }
    this.subjects[row] = subject;
    this.data.set(vector, row * this.dims);
  }

  remove(id: string): boolean {
    const row = this.rowIndex.get(id);
    if (row === undefined) return false;
    const last = --this.rows;
    if (row !== last) {
      this.data.copyWithin(row * this.dims, last * this.dims, (last + 1) * this.dims);
      const moved = this.ids[last] as string;
      this.ids[row] = moved;
      this.subjects[row] = this.subjects[last] as string;
      this.rowIndex.set(moved, row);
    }
    this.ids.pop();
    this.subjects.pop();
    this.rowIndex.delete(id);
    return true;
  }

  /** The row holding `id`, if it is here. */
  rowOf(id: string): number | undefined {
    return this.rowIndex.get(id);
  }

  vector(row: number): Float32Array {
    return this.data.subarray(row * this.dims, (row + 1) * this.dims);
  }

  /** Bytes held per stored vector, counting spare capacity. */
  get bytesPerRow(): number {
    return this.rows ? this.data.byteLength / this.rows : 0;
  }
}
