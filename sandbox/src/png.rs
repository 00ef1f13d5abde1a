//! A small generated picture (a landscape in two colours picked from a seed), encoded as
//! an uncompressed palette PNG, so media always renders without any file or network.

/// Width and height of every generated picture.
pub const WIDTH: u32 = 320;
pub const HEIGHT: u32 = 200;

const GRADIENT: usize = 64;
const SUN: u8 = 64;
const FAR: u8 = 65;
const NEAR: u8 = 66;

/// Colour pairs (top-left, bottom-right) the seed picks from.
const SCHEMES: [([u8; 3], [u8; 3]); 6] = [
    ([0x8e, 0xe4, 0xaf], [0x12, 0x8c, 0x7e]),
    ([0x9b, 0xd4, 0xf5], [0x2b, 0x5f, 0xa8]),
    ([0xf9, 0xc7, 0x8b], [0xd9, 0x4f, 0x5c]),
    ([0xd6, 0xc4, 0xf7], [0x6a, 0x4c, 0xb3]),
    ([0xff, 0xe0, 0x8a], [0xe0, 0x7b, 0x39]),
    ([0xb8, 0xf0, 0xe6], [0x1f, 0x7a, 0x8c]),
];

/// FNV-1a of `text`, to pick a colour scheme.
pub fn seed_of(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn mix(a: u8, b: u8, t: f32) -> u8 {
    let v = f32::from(a) + (f32::from(b) - f32::from(a)) * t;
    v.clamp(0.0, 255.0) as u8
}

/// The PNG for `seed`.
pub fn picture(seed: u64) -> Vec<u8> {
    let (top, bottom) = SCHEMES[(seed % SCHEMES.len() as u64) as usize];
    let mut palette = Vec::with_capacity(3 * (GRADIENT + 3));
    for i in 0..GRADIENT {
        let t = i as f32 / (GRADIENT - 1) as f32;
        for c in 0..3 {
            palette.push(mix(top[c], bottom[c], t));
        }
    }
    palette.extend_from_slice(&[0xff, 0xfb, 0xe8]); // sun
    palette.extend_from_slice(&bottom.map(|c| mix(c, 0x30, 0.35))); // far hills
    palette.extend_from_slice(&bottom.map(|c| mix(c, 0x10, 0.6))); // near hills

    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    let sun_x = 0.62 + (seed >> 8) as f32 % 20.0 / 100.0;
    let mut raw = Vec::with_capacity((w + 1) * h);
    for y in 0..h {
        raw.push(0); // filter: none
        let fy = y as f32 / h as f32;
        for x in 0..w {
            let fx = x as f32 / w as f32;
            let far = 0.62 - 0.18 * (fx * 7.0 + 1.3).sin() * (fx * 2.1).cos();
            let near = 0.80 - 0.12 * (fx * 4.3 + 0.4).sin();
            let (dx, dy) = ((fx - sun_x) * w as f32, (fy - 0.3) * h as f32);
            let index = if fy > near {
                NEAR
            } else if fy > far {
                FAR
            } else if dx * dx + dy * dy < 22.0 * 22.0 {
                SUN
            } else {
                let t = (fx * 0.35 + fy * 0.65).clamp(0.0, 1.0);
                (t * (GRADIENT - 1) as f32) as u8
            };
            raw.push(index);
        }
    }

    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&WIDTH.to_be_bytes());
    header.extend_from_slice(&HEIGHT.to_be_bytes());
    header.extend_from_slice(&[8, 3, 0, 0, 0]); // 8-bit, palette
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"PLTE", &palette);
    chunk(&mut png, b"IDAT", &zlib_stored(&raw));
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(0).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of uncompressed ("stored") deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_standard() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn pictures_are_pngs() {
        let png = picture(seed_of("1183440992862314"));
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(png.ends_with(&[0xae, 0x42, 0x60, 0x82]));
        assert_eq!(png, picture(seed_of("1183440992862314")));
    }
}
