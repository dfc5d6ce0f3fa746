import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { zipFiles } from "../src/lib/zip";

const data = Buffer.from("exports.handler = async () => 'ok';\n".repeat(100));

describe("zipFiles", () => {
  it("is deterministic", () => {
    expect(zipFiles([{ name: "index.js", data }]).equals(zipFiles([{ name: "index.js", data }]))).toBe(true);
  });

  it("stores the file deflated after a standard local header", () => {
    const zip = zipFiles([{ name: "index.js", data }]);
    expect(zip.readUInt32LE(0)).toBe(0x04034b50);
    const compressedSize = zip.readUInt32LE(18);
    const nameLength = zip.readUInt16LE(26);
    expect(zip.subarray(30, 30 + nameLength).toString()).toBe("index.js");
    expect(inflateRawSync(zip.subarray(30 + nameLength, 30 + nameLength + compressedSize)).equals(data)).toBe(true);
    expect(zip.readUInt32LE(zip.length - 22)).toBe(0x06054b50);
  });

  const python = spawnSync("python3", ["--version"]).status === 0;
  it.skipIf(!python)("is read back by an independent implementation (python zipfile, CRC checked)", () => {
    const dir = mkdtempSync(join(tmpdir(), "zip-"));
    try {
      const path = join(dir, "function.zip");
      writeFileSync(path, zipFiles([{ name: "index.js", data }, { name: "lib/util.js", data: Buffer.from("x") }]));
      const script = `import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(",".join(i.filename + ":" + str(i.file_size) + ":" + oct(i.external_attr >> 16) for i in z.infolist()))`;
      const result = spawnSync("python3", ["-c", script, path], { encoding: "utf8" });
      expect(result.stderr).toBe("");
      expect(result.stdout.trim()).toBe(`index.js:${data.length}:0o100644,lib/util.js:1:0o100644`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
