// Sending a document's bytes straight to storage, through the presigned link the API gave, with
// the progress of the upload for a progress bar. (fetch cannot report upload progress.)

// Headers a browser sets itself and refuses from a script; the browser's own values are the
// ones the link was signed for (the length is the file's).
const SET_BY_THE_BROWSER = new Set(["content-length", "host", "connection"]);

export function headersToSend(signed: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(signed).filter(([name]) => !SET_BY_THE_BROWSER.has(name.toLowerCase()));
}

export interface UploadLink {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Resolves when storage took the file; rejects with the reason when it did not. */
export function upload(
  file: Blob,
  link: UploadLink,
  progress: (sent: number, total: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(link.method, link.url);
    for (const [name, value] of headersToSend(link.headers)) request.setRequestHeader(name, value);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress(event.loaded, event.total);
    });
    request.addEventListener("load", () => {
      if (request.status >= 200 && request.status < 300) resolve();
      else reject(new Error(`storage answered ${request.status}`));
    });
    request.addEventListener("error", () => {
      reject(new Error("storage could not be reached"));
    });
    request.addEventListener("abort", () => {
      reject(new Error("the upload was stopped"));
    });
    request.send(file);
  });
}
