// Builds JS rows from a batch packed by convert.rs, in one call per batch rather than one
// wasm-bindgen call per value: a tag per cell, numbers in one array, all text in one string cut
// by UTF-16 lengths, and ready objects for the rare values built in Rust (bytes, arrays).
// The tags are convert.rs's `Tag`.

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error("the server sent invalid JSON");
  }
}

export function buildRows(out, count, width, names, tags, nums, text, lens, objects) {
  let cell = 0, num = 0, piece = 0, at = 0, object = 0;
  const cut = () => {
    const end = at + lens[piece++];
    const s = text.slice(at, end);
    at = end;
    return s;
  };
  for (let r = 0; r < count; r++) {
    const row = names ? {} : [];
    for (let j = 0; j < width; j++) {
      let v;
      switch (tags[cell++]) {
        case 0: v = null; break;
        case 1: v = nums[num++]; break;
        case 2: v = true; break;
        case 3: v = false; break;
        case 4: v = cut(); break;
        case 5: v = BigInt(nums[num++]); break;
        case 6: v = BigInt(cut()); break;
        case 7: v = parseJson(cut()); break;
        case 8: v = new Date(nums[num++]); break;
        default: v = objects[object++];
      }
      if (names) row[names[j]] = v;
      else row.push(v);
    }
    out.push(row);
  }
}
