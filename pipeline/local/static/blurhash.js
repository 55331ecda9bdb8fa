// BlurHash decoder (https://blurha.sh format): base83 -> DCT components -> RGBA pixels.
(function () {
  "use strict";
  const CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";
  const decode83 = (s) => [...s].reduce((v, c) => v * 83 + CHARS.indexOf(c), 0);
  const toLinear = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const toSrgb = (v) => {
    v = Math.max(0, Math.min(1, v));
    return Math.round((v <= 0.0031308 ? v * 12.92 : 1.055 * Math.pow(v, 1 / 2.4) - 0.055) * 255);
  };
  const signPow = (v, e) => Math.sign(v) * Math.pow(Math.abs(v), e);

  function decode(hash, width, height) {
    if (!hash || hash.length < 6) throw new Error("blurhash too short");
    const size = decode83(hash[0]);
    const nx = (size % 9) + 1, ny = Math.floor(size / 9) + 1;
    if (hash.length !== 4 + 2 * nx * ny) throw new Error("blurhash length mismatch");
    const maxAc = (decode83(hash[1]) + 1) / 166;
    const dc = decode83(hash.slice(2, 6));
    const colors = [[toLinear(dc >> 16), toLinear((dc >> 8) & 255), toLinear(dc & 255)]];
    for (let i = 1; i < nx * ny; i++) {
      const v = decode83(hash.slice(4 + i * 2, 6 + i * 2));
      colors.push([Math.floor(v / 361), Math.floor(v / 19) % 19, v % 19]
        .map((q) => signPow((q - 9) / 9, 2) * maxAc));
    }
    const pixels = new Uint8ClampedArray(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let r = 0, g = 0, b = 0;
        for (let j = 0; j < ny; j++) {
          for (let i = 0; i < nx; i++) {
            const basis = Math.cos((Math.PI * x * i) / width) * Math.cos((Math.PI * y * j) / height);
            const c = colors[i + j * nx];
            r += c[0] * basis; g += c[1] * basis; b += c[2] * basis;
          }
        }
        const o = 4 * (x + y * width);
        pixels[o] = toSrgb(r); pixels[o + 1] = toSrgb(g); pixels[o + 2] = toSrgb(b); pixels[o + 3] = 255;
      }
    }
    return pixels;
  }

  window.blurhashToCanvas = function (hash, canvas, size = 32) {
    canvas.width = size; canvas.height = size;
    const ctx = canvas.getContext("2d");
    ctx.putImageData(new ImageData(decode(hash, size, size), size, size), 0, 0);
  };
})();
