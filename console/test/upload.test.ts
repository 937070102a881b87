import { describe, expect, test } from "vitest";
import { headersToSend } from "../src/claim/upload";

describe("the upload to the presigned link", () => {
  /** The signed headers are sent as given, but those the browser sets itself (it refuses them from a script). */
  test("the signed headers are sent but those the browser sets", () => {
    expect(
      headersToSend({
        "Content-Type": "application/pdf",
        "Content-Length": "1024",
        "If-None-Match": "*",
        host: "bucket.s3.amazonaws.com",
      }),
    ).toEqual([
      ["Content-Type", "application/pdf"],
      ["If-None-Match", "*"],
    ]);
  });
});
