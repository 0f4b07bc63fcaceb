// The screen-recapture measure: a periodic lattice shared by the whole
// document. May throw cv::Exception; quality.cc calls it inside its try block.
//
// A screen photographed shows its pixel lattice (RGB subpixel stripes and
// the black matrix between pixels) or, when the lattice is finer than the
// camera's pixels, its aliased moiré: either way one periodic pattern that
// covers the whole displayed page, portrait, text and background alike.
// Genuine documents have periodic structure too, but local: fine-line
// guilloche and hatched backgrounds change frequency and direction across
// the page, a monospaced MRZ repeats its character pitch only in its own
// band, and JPEG's 8×8 blocks sit at fixed frequencies (multiples of 1/8
// cycle per pixel) that a screen rarely hits exactly. So the measure is the
// strength of the strongest spectral peak that most tiles of the document
// share, not the strongest peak of any one tile (which is what a fine
// background pattern or JPEG blocking produced in the previous version,
// failing genuine pages).

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <vector>

#include "checks/quality_internal.h"
#include "opencv2/imgproc.hpp"

namespace vouch::ocr::internal {
namespace {

// Tiles across the document (3×3 at 25/50/75 % of its sides).
constexpr double kTilePositions[] = {0.25, 0.5, 0.75};
// Analysis band in cycles per pixel: periods of 2..10 px. Below it lies the
// document's own layout (text lines, character pitch).
constexpr double kBandLow = 0.1;
constexpr double kBandHigh = 0.5;
// A tile's candidate peaks: log-magnitude at least this much above its
// neighbourhood (e ≈ 2.7× the local spectrum level).
constexpr float kCandidateProminence = 1.0f;
constexpr int kCandidatesPerTile = 6;
// Shared peaks kept for the lattice analysis: median prominence at least
// this (below it, nothing stands out in half the tiles).
constexpr float kSharedFloor = 0.7f;
// Two lattice directions at least this far apart (not one direction and
// its harmonics).
constexpr double kMinLatticeAngleDeg = 30;
// A peak at least this share of the lattice's strength counts as another
// lattice when the lattice does not explain it.
constexpr double kOtherLatticeShare = 0.6;
// ... and stands out at all (shared noise peaks reach ~1.3 on print).
constexpr double kOtherLatticeFloor = 1.5;
// A lattice direction within this many degrees of 45° to the page's sides
// is a halftone's black-ink screen's (PageAngle).
constexpr double kHalftoneAngleTolerance = 4;
// A print's inks are screened at one pitch: a peak within this share of
// the black ink's pitch is another ink's.
constexpr double kInkPitchTolerance = 0.08;

struct Tile {
  cv::Rect rect;       // In the image.
  cv::Mat prominence;  // T×T, 0 outside the band and on JPEG block lines.
  std::vector<cv::Point> peaks;
};

int TileSize(const cv::Rect& bounds) {
  const int s = std::min(bounds.width, bounds.height);
  if (s >= 640) return 256;
  if (s >= 320) return 128;
  return 64;
}

// True for a bin on a multiple of 1/8 cycle per pixel (JPEG's 8-px block
// grid), ±1 bin.
bool OnBlockLine(int k, int tile) {
  const int step = tile / 8;
  const int m = ((k % step) + step) % step;
  return k != 0 && (m <= 1 || m >= step - 1);
}

// 1 inside the analysis band and off JPEG's block lines, else 0 (n×n, in
// the DFT's layout).
cv::Mat BandMask(int n) {
  cv::Mat mask(n, n, CV_32F);
  for (int v = 0; v < n; ++v) {
    const int fv = v <= n / 2 ? v : v - n;
    float* row = mask.ptr<float>(v);
    for (int u = 0; u < n; ++u) {
      const int fu = u <= n / 2 ? u : u - n;
      const double radius = std::hypot(fu, fv) / n;
      row[u] = radius < kBandLow || radius > kBandHigh || OnBlockLine(fu, n) || OnBlockLine(fv, n)
                   ? 0.0f
                   : 1.0f;
    }
  }
  return mask;
}

Tile AnalyseTile(const cv::Mat& image, const cv::Rect& r, const cv::Mat& window,
                 const cv::Mat& mask) {
  const int n = r.width;
  cv::Mat gray;
  if (image.channels() == 3) {
    cv::cvtColor(image(r), gray, cv::COLOR_BGR2GRAY);
  } else {
    gray = image(r);
  }
  cv::Mat f;
  gray.convertTo(f, CV_32F);
  f -= cv::mean(f)[0];
  f = f.mul(window);
  cv::Mat spectrum;
  cv::dft(f, spectrum, cv::DFT_COMPLEX_OUTPUT);
  // The spectrum of a real image is conjugate-symmetric (OpenCV fills the
  // second half by conjugation, so exactly): log-magnitude of rows
  // 0..n/2, the rest mirrored (k ↔ −k). Same values, half the work.
  const int half = n / 2 + 1;
  std::vector<cv::Mat> parts;
  cv::split(spectrum.rowRange(0, half), parts);
  cv::Mat mag(n, n, CV_32F);
  cv::Mat top = mag.rowRange(0, half);
  cv::magnitude(parts[0], parts[1], top);
  top += 1.0f;
  cv::log(top, top);
  for (int v = half; v < n; ++v) {
    const float* mirror = mag.ptr<float>(n - v);
    float* row = mag.ptr<float>(v);
    row[0] = mirror[0];
    for (int u = 1; u < n; ++u) row[u] = mirror[n - u];
  }
  cv::Mat local;
  const int k = n >= 256 ? 11 : n >= 128 ? 7 : 5;
  cv::blur(mag, local, cv::Size(k, k), cv::Point(-1, -1), cv::BORDER_REFLECT);
  Tile t;
  t.rect = r;
  t.prominence = mag - local;
  cv::max(t.prominence, 0.0f, t.prominence);
  t.prominence = t.prominence.mul(mask);
  // Local maxima (3×3) in the half plane
  // v ≤ n/2 (the spectrum of a real image is symmetric), strongest first.
  cv::Mat dilated;
  cv::dilate(t.prominence, dilated, cv::Mat());
  std::vector<std::pair<float, cv::Point>> maxima;
  for (int v = 0; v <= n / 2; ++v) {
    const float* p = t.prominence.ptr<float>(v);
    const float* d = dilated.ptr<float>(v);
    for (int u = 0; u < n; ++u) {
      if (p[u] >= kCandidateProminence && p[u] >= d[u]) maxima.emplace_back(p[u], cv::Point(u, v));
    }
  }
  std::sort(maxima.begin(), maxima.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; i < maxima.size() && i < kCandidatesPerTile; ++i) {
    t.peaks.push_back(maxima[i].second);
  }
  return t;
}

// (u, v) and (u2, v2) within `d` cycles/px, also as conjugates.
bool Near(double u, double v, double u2, double v2, double d) {
  return std::hypot(u - u2, v - v2) <= d || std::hypot(u + u2, v + v2) <= d;
}

// Into [-0.5, 0.5): where a frequency beyond Nyquist aliases to.
double Wrap(double f) { return f - std::floor(f + 0.5); }

// Angle between two peaks' directions, 0..180 degrees.
double AngleBetween(const SharedPeak& a, const SharedPeak& b) {
  const double d = std::fabs(std::atan2(a.v, a.u) - std::atan2(b.v, b.u)) * 180 / 3.14159265358979;
  return std::fmod(d, 180.0);
}

// JPEG's 8×8 blocks modulate the whole image with an 8-px period, so a
// strong periodic pattern (one ink's halftone screen, a hatch, a guilloche's
// fine lines) comes with copies of itself shifted by multiples of 1/8
// cycle per pixel in u and v (wrapped at Nyquist). Such a copy is in
// another direction but is not a second direction of a lattice: true when
// `b` is one of `a` (or of its conjugate), within `tolerance` cycles/px in
// each coordinate. On genuine prints and phone photos of the second
// renderer (JPEG q59–80) the strongest "lattice" was a pattern and its
// block copy (docs/checks.md, "JPEG block copies are not a lattice").
bool BlockSideband(const SharedPeak& a, const SharedPeak& b, double tolerance) {
  for (int sign : {1, -1}) {
    const double du = Wrap(b.u - sign * a.u) * 8, dv = Wrap(b.v - sign * a.v) * 8;
    const double ku = std::round(du), kv = std::round(dv);
    if ((ku != 0 || kv != 0) && std::fabs(du - ku) / 8 <= tolerance &&
        std::fabs(dv - kv) / 8 <= tolerance) {
      return true;
    }
  }
  return false;
}

// One pattern's family, tile by tile. JPEG's 8×8 blocks copy a strong
// pattern p to ±p + (k, l)/8 (wrapped at Nyquist; a Bayer sensor's 2×2
// mosaic does the same at half a cycle), and the copies lie in other
// directions. A copy is exact *within a tile*: the blocks modulate the
// image with a fixed 8-px period, so a tile's copy is its own pattern's
// spectrum shifted by k·n/8 bins. Across the page it is not: a grating
// under perspective (a guilloche or hatch photographed at an angle) changes
// its frequency from tile to tile, the shared peaks of the pattern and of
// its copies are found in different tiles, and they miss the copy's offset
// by a bin or two — so a single grating read as a two-dimensional lattice
// (docs/checks.md, "one grating and its block copies, tile by tile"). The relation is therefore
// tested where it is exact: each tile's own peaks, located to a fraction of a bin.
//
// A tile's copy lies within this many bins of where the tile's own pattern
// puts it (copies measured 0.0–0.35 bins off; a tile whose local maximum
// near a shared peak is another pattern's is off by 1–3 bins).
constexpr double kFamilyToleranceBins = 0.35;
// Or: where q's copy comes from in the tile is on p's peak, at most this
// much (log units: 26 %) below its top: about 0.7 bin off a pure tone's
// maximum through the Hann window.
constexpr double kFamilyPeakTopDrop = 0.3;
// Tiles whose own peak near a shared one is below this are left out.
constexpr float kFamilyTileFloor = 0.5f;
// The relation must hold in at least half of the tiles that carry both
// peaks (in the others, another pattern's peak can be the local maximum
// near the shared one), and in at least this many tiles.
constexpr double kFamilyTileShare = 0.5;
constexpr int kFamilyMinTiles = 4;

// Tile t's own peak within `radius` bins of (u, v) cycles/px, to a fraction
// of a bin (a parabola through the prominence across the maximum in u and
// in v). Empty when the tile has no peak there.
std::optional<cv::Point3d> TilePeak(const Tile& t, double u, double v, int radius) {
  const int n = t.prominence.rows;
  const int u0 = static_cast<int>(std::lround(u * n));
  const int v0 = static_cast<int>(std::lround(v * n));
  auto value = [&](int fu, int fv) {
    return t.prominence.at<float>(((fv % n) + n) % n, ((fu % n) + n) % n);
  };
  float best = -1;
  int bu = u0, bv = v0;
  for (int dv = -radius; dv <= radius; ++dv) {
    for (int du = -radius; du <= radius; ++du) {
      const float p = value(u0 + du, v0 + dv);
      if (p > best) {
        best = p;
        bu = u0 + du;
        bv = v0 + dv;
      }
    }
  }
  if (best < kFamilyTileFloor) return std::nullopt;
  auto vertex = [](double l, double c, double r) {
    const double d = l - 2 * c + r;
    return d < 0 ? std::clamp(0.5 * (l - r) / d, -0.5, 0.5) : 0.0;
  };
  const double ou = vertex(value(bu - 1, bv), best, value(bu + 1, bv));
  const double ov = vertex(value(bu, bv - 1), best, value(bu, bv + 1));
  return cv::Point3d((bu + ou) / n, (bv + ov) / n, best);
}

// A lattice that sits still over a page captured flat is a print's
// (ScreenMeasure::flat_print): its pair's spread (PositionSpread) at most
// this many bins of 1/256 cycle per pixel (`bench_checks --screen-dir`,
// whole-frame pages with a lattice: the halftone prints scanned 0.11..0.73,
// screens 2.1..4.1; the tiles' own peak location is good to about a bin on
// a page with print over its dots) ...
constexpr double kFlatLatticeSpread = 1.3;
// ... and no colour signature of a screen's subpixels at the strength that
// makes a screen certain (quality.cc, kScreenChromaCertain): a pixel grid
// the camera resolves, photographed square-on, is flat too, but shows it.
constexpr double kFlatPrintChromaCeiling = 1.0;

// LatticeSpread: a tile counts when the peak stands at least this high in
// it, and the spread is measured when at least this many tiles count.
constexpr float kSpreadTileFloor = 1.0f;
constexpr int kSpreadMinTiles = 6;

// How far `p`'s position in a tile (TilePeak) moves over the tiles where it
// stands out (PositionSpread), in bins of 1/256 cycle per pixel (whatever
// the tile size); -1 when fewer than kSpreadMinTiles show it.
double LatticeSpread(const std::vector<Tile>& tiles, const SharedPeak& p, int radius,
                     const std::vector<cv::Matx22d>* to_page = nullptr) {
  std::vector<cv::Point2d> at;
  for (size_t i = 0; i < tiles.size(); ++i) {
    if (to_page == nullptr) {
      const std::optional<cv::Point3d> q = TilePeak(tiles[i], p.u, p.v, radius);
      if (q && q->z >= kSpreadTileFloor) at.emplace_back(q->x, q->y);
      continue;
    }
    // Looked for where a lattice fixed on the page would be in this tile
    // (a perspective moves it further than the search radius), then taken
    // back to the centre tile.
    const cv::Matx22d& m = (*to_page)[i];
    const cv::Vec2d expected = m.inv() * cv::Vec2d(p.u, p.v);
    const std::optional<cv::Point3d> q = TilePeak(tiles[i], expected[0], expected[1], radius);
    if (!q || q->z < kSpreadTileFloor) continue;
    const cv::Vec2d f = m * cv::Vec2d(q->x, q->y);
    at.emplace_back(f[0], f[1]);
  }
  if (static_cast<int>(at.size()) < kSpreadMinTiles) return -1;
  return PositionSpread(at) * 256;
}

// Where each tile has a shared peak (TilePeak), or not.
using TileLocations = std::vector<std::optional<cv::Point3d>>;

// The prominence of tile t at (u, v) cycles/px, bilinear between bins.
double ProminenceAt(const Tile& t, double u, double v) {
  const int n = t.prominence.rows;
  const double x = u * n, y = v * n;
  const int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
  const double fx = x - x0, fy = y - y0;
  auto value = [&](int fu, int fv) {
    return t.prominence.at<float>(((fv % n) + n) % n, ((fu % n) + n) % n);
  };
  return (1 - fy) * ((1 - fx) * value(x0, y0) + fx * value(x0 + 1, y0)) +
         fy * ((1 - fx) * value(x0, y0 + 1) + fx * value(x0 + 1, y0 + 1));
}

// True when q is a block copy of p (q ≈ ±p + (k, l)/8) in the tiles that
// carry both: see above.
bool BlockCopyInTiles(const std::vector<Tile>& tiles, const SharedPeak& p, const TileLocations& lp,
                      const SharedPeak& q, const TileLocations& lq, int n) {
  int both = 0;
  for (size_t i = 0; i < lp.size(); ++i) both += lp[i] && lq[i];
  if (both < kFamilyMinTiles) return false;
  for (int s : {1, -1}) {
    // The copy's offset, from the shared peaks: whole eighths.
    const double ku = std::round(Wrap(q.u - s * p.u) * 8);
    const double kv = std::round(Wrap(q.v - s * p.v) * 8);
    if (ku == 0 && kv == 0) continue;  // The same peak (or its conjugate).
    int held = 0;
    for (size_t i = 0; i < lp.size(); ++i) {
      if (!lp[i] || !lq[i]) continue;
      const double ru = Wrap(lq[i]->x - s * lp[i]->x - ku / 8) * n;
      const double rv = Wrap(lq[i]->y - s * lp[i]->y - kv / 8) * n;
      bool copy = std::max(std::fabs(ru), std::fabs(rv)) <= kFamilyToleranceBins;
      if (!copy) {
        // A chirped pattern's peak is broad within a tile too, and its top
        // and its copy's may have their maxima on different bins: then
        // where q's copy would come from must lie on p's peak's top.
        const double su = s * (lq[i]->x - ku / 8), sv = s * (lq[i]->y - kv / 8);
        copy = ProminenceAt(tiles[i], su, sv) >= lp[i]->z - kFamilyPeakTopDrop;
      }
      if (copy) ++held;
    }
    if (held >= kFamilyMinTiles && held >= kFamilyTileShare * both) return true;
  }
  return false;
}

// The shared peaks (strongest first) grouped into patterns: a peak that is
// a block copy of an earlier pattern's root (BlockCopyInTiles) joins it,
// otherwise it is a new pattern's root. Tested against roots only: every
// copy is exact against its own pattern, and chaining copies of copies
// would join two patterns. The index of each peak's root.
std::vector<int> PatternRoots(const std::vector<Tile>& tiles, const std::vector<SharedPeak>& peaks,
                              int radius) {
  const int n = tiles.front().prominence.rows;
  std::vector<TileLocations> at(peaks.size(), TileLocations(tiles.size()));
  for (size_t i = 0; i < peaks.size(); ++i) {
    for (size_t t = 0; t < tiles.size(); ++t) {
      at[i][t] = TilePeak(tiles[t], peaks[i].u, peaks[i].v, radius);
    }
  }
  std::vector<int> root(peaks.size(), -1);
  std::vector<int> roots;
  for (size_t i = 0; i < peaks.size(); ++i) {
    for (int r : roots) {
      if (BlockCopyInTiles(tiles, peaks[r], at[r], peaks[i], at[i], n)) {
        root[i] = r;
        break;
      }
    }
    if (root[i] < 0) {
      root[i] = static_cast<int>(i);
      roots.push_back(static_cast<int>(i));
    }
  }
  return root;
}

// The page's horizontal direction in the image, degrees: the mean of its
// top and bottom sides' and of its left and right sides' turned by 90°.
double PageAxisDeg(const std::array<cv::Point2f, 4>& c) {
  const cv::Point2f h = (c[1] - c[0]) + (c[2] - c[3]);
  const cv::Point2f v = (c[3] - c[0]) + (c[2] - c[1]);
  // v turned by -90° points along h.
  const cv::Point2f sum = h + cv::Point2f(v.y, -v.x);
  return std::atan2(sum.y, sum.x) * 180 / 3.14159265358979;
}

// A peak's direction against the page's sides, folded to 0..45 degrees.
double PageAngle(const SharedPeak& p, double page_deg) {
  const double d = std::atan2(p.v, p.u) * 180 / 3.14159265358979 - page_deg;
  const double m = std::fmod(std::fmod(d, 90.0) + 90.0, 90.0);
  return std::min(m, 90.0 - m);
}

// Two shared peaks that make a two-dimensional lattice: at least 30° apart
// and not a pattern and its JPEG block copy.
bool LatticePair(const SharedPeak& a, const SharedPeak& b, double block_tolerance) {
  const double angle = AngleBetween(a, b);
  if (angle < kMinLatticeAngleDeg || angle > 180 - kMinLatticeAngleDeg) return false;
  return !BlockSideband(a, b, block_tolerance);
}

// Strongest prominence within `radius` bins of `bin` (wrapping).
float PeakNear(const Tile& t, cv::Point bin, int radius) {
  const int n = t.prominence.rows;
  float best = 0;
  for (int dv = -radius; dv <= radius; ++dv) {
    for (int du = -radius; du <= radius; ++du) {
      best = std::max(
          best, t.prominence.at<float>(((bin.y + dv) % n + n) % n, ((bin.x + du) % n + n) % n));
    }
  }
  return best;
}

// The screen's colour signature. A screen's subpixels put R, G and B side
// by side, a third of a pixel apart: at the frequency of its pixel columns
// (and wherever that aliases to in the photo) the three channels carry the
// same pattern shifted by a third of a period, so their phases rotate by
// 120° in R, G, B order (or B, G, R). In symmetrical components (three-phase
// power's P = (R + aG + a²B)/3, N = (R + a²G + aB)/3, a = e^{2πi/3}) that is
// |P| ≫ |N|. Anything whose channels are in phase — print, a halftone
// ink (one channel), black ink (all three), colour edges — has |P| = |N|.
// The DFT of the complex image c = r + a·g + a²·b holds 3P at k and
// 3·conj(N) at −k, so one complex FFT per tile shows the asymmetry
// log|C(k)| − log|C(−k)| over the whole spectrum.
//
// Chroma survives a camera only at half the luma's resolution (Bayer
// demosaicing, 4:2:0 JPEG), so the tile is analysed at half size, and the
// band starts low (an aliased screen's moiré can be slow): 0.025..0.25
// cycles per photo pixel.
constexpr double kChromaBandLow = 0.05;  // Cycles per half-size pixel.
constexpr double kChromaBandHigh = 0.5;
// The colour signature is measured only on a page with a 2D lattice at
// least this prominent (below the screen check's review band, 1.8).
constexpr double kChromaGate = 1.5;

// 1 inside the chroma band and off the 4:2:0 chroma blocks' frequencies
// (16 photo px: multiples of 1/8 cycle per half-size pixel), else 0.
cv::Mat ChromaMask(int n) {
  cv::Mat mask(n, n, CV_32F);
  for (int v = 0; v < n; ++v) {
    const int fv = v <= n / 2 ? v : v - n;
    float* row = mask.ptr<float>(v);
    for (int u = 0; u < n; ++u) {
      const int fu = u <= n / 2 ? u : u - n;
      const double radius = std::hypot(fu, fv) / n;
      row[u] = radius < kChromaBandLow || radius > kChromaBandHigh || OnBlockLine(fu, n) ||
                       OnBlockLine(fv, n)
                   ? 0.0f
                   : 1.0f;
    }
  }
  return mask;
}

// log(1 + |C|) of one tile's chroma-rotation image c = r + a g + a² b
// (DFT layout, at half the tile's size: `window`'s).
cv::Mat ChromaSpectrum(const cv::Mat& image, const cv::Rect& r, const cv::Mat& window) {
  const int n = window.rows;
  cv::Mat half;
  cv::resize(image(r), half, cv::Size(n, n), 0, 0, cv::INTER_AREA);
  cv::Mat f;
  half.convertTo(f, CV_32F);
  std::vector<cv::Mat> bgr;
  cv::split(f, bgr);
  // c = r + a g + a² b = (r − (g + b)/2) + i·(√3/2)(g − b).
  cv::Mat re = bgr[2] - 0.5f * (bgr[1] + bgr[0]);
  cv::Mat im = 0.8660254f * (bgr[1] - bgr[0]);
  re -= cv::mean(re)[0];
  im -= cv::mean(im)[0];
  re = re.mul(window);
  im = im.mul(window);
  cv::Mat c, spectrum;
  cv::merge(std::vector<cv::Mat>{re, im}, c);
  cv::dft(c, spectrum);
  std::vector<cv::Mat> parts;
  cv::split(spectrum, parts);
  cv::Mat mag;
  cv::magnitude(parts[0], parts[1], mag);
  mag += 1.0f;
  cv::log(mag, mag);
  return mag;
}

// The chroma-rotation lattice of the page: on the tiles' mean log spectrum
// (averaging cuts the noise of one tile's spectrum; a pattern over the
// whole page adds up, a local one does not), the strongest bin that is both
// prominent (above its 7×7 neighbourhood) and asymmetric (|P| over |N|):
// min of the two, in log units.
double ChromaLattice(const cv::Mat& mean_log, const cv::Mat& mask, SharedPeak* where) {
  const int n = mean_log.rows;
  cv::Mat local;
  cv::blur(mean_log, local, cv::Size(7, 7), cv::Point(-1, -1), cv::BORDER_REFLECT);
  double best = 0;
  for (int v = 0; v < n; ++v) {
    const float* m = mean_log.ptr<float>(v);
    const float* mirror = mean_log.ptr<float>((n - v) % n);
    const float* l = local.ptr<float>(v);
    const float* k = mask.ptr<float>(v);
    for (int u = 0; u < n; ++u) {
      if (k[u] == 0) continue;
      const double score = std::min(m[u] - l[u], m[u] - mirror[(n - u) % n]);
      if (score > best) {
        best = score;
        const int fu = u <= n / 2 ? u : u - n;
        const int fv = v <= n / 2 ? v : v - n;
        // In cycles per photo pixel (the tile was halved).
        *where = {0.5 * fu / n, 0.5 * fv / n, score};
      }
    }
  }
  return best;
}

// The subpixel offset (MeasureChannelShift): band-pass of each channel (a
// Gaussian of this sigma taken off: lighting and colour areas), the border
// the filters reflect at left out, at least this many tiles with edges.
constexpr double kShiftHighPassSigma = 2.0;
constexpr int kShiftBorder = 5;
constexpr int kShiftMinTiles = 5;
// An offset along the image's own rows or columns is what the capture
// device or the file's processing makes — a flatbed scanner's red, green
// and blue sensor lines misregistered, a codec's chroma siting — not a
// screen, which in a photo is turned with the page it shows. So the offset
// counts only when its component across the nearest image axis is at
// least this many photo pixels: above what a JPEG round trip's chroma
// offset leaves (0.005..0.009 px on a straight page, the unit scenes). On a
// page shown straight in the frame a screen and a scanner cannot be told
// apart this way, and the screen goes uncounted.
constexpr double kShiftAcrossImageAxis = 0.01;
// A screen offsets every tile the same way; the mean of offsets that are
// noise (sensor noise, JPEG, a halftone's inks) is short against the
// tiles' own offsets. The offset counts only when |mean| is at least this
// share of the tiles' mean |offset| (screens: 0.8..1.0, genuine photos
// 0.25..0.8 in the first calibration run, docs/checks.md).
constexpr double kShiftAgreement = 0.8;
// An offset below this (twice what a JPEG round trip leaves, 0.009 px) is
// no evidence of a screen against a halftone print (the print rule below).
constexpr double kPrintOffsetFloor = 0.02;

// How far one colour channel of a tile is offset from green, in photo
// pixels, on band-passed copies (lighting and colour areas removed): the
// least-squares offset s with h_c(x) ≈ a·h_g(x + s), linearised (valid to
// about a pixel; a screen's subpixels are a third of a screen pixel apart,
// and where that exceeds a pixel the pixel grid itself shows). The gain a
// takes out colour contrast (a blue line is weaker in blue's band-pass but
// in the same place); Σ h_g ∇h_g ≈ 0 over a tile, so a gain left over does
// not bias the offset.
struct Offset {
  double x = 0, y = 0;
  bool ok = false;
};
Offset ChannelOffset(const cv::Mat& hg, const cv::Mat& gx, const cv::Mat& gy, const cv::Mat& hc) {
  const double gg = hg.dot(hg);
  if (gg <= 1e-3 * hg.total()) return {};  // A flat tile: no edges to register.
  const double a = hc.dot(hg) / gg;
  if (a < 0.2) return {};  // This channel does not carry the tile's edges.
  const cv::Mat e = hc - a * hg;
  const double sxx = gx.dot(gx), sxy = gx.dot(gy), syy = gy.dot(gy);
  const double bx = gx.dot(e), by = gy.dot(e);
  const double det = sxx * syy - sxy * sxy;
  if (det <= 1e-9 * (sxx + syy) * (sxx + syy)) return {};  // Edges in one direction only.
  Offset o;
  o.x = (syy * bx - sxy * by) / det / a;
  o.y = (sxx * by - sxy * bx) / det / a;
  o.ok = true;
  return o;
}

// Degrees from the nearest multiple of 90°.
double AxisDistance(double deg) {
  const double m = std::fmod(std::fabs(deg), 90.0);
  return std::min(m, 90.0 - m);
}

// The page's subpixel offset: red's and blue's offset from green on the
// central `size` px of each tile of the image as received, averaged over
// the tiles (a lens's lateral colour is radial and cancels around the
// page's centre; a screen's offset is the same everywhere), and its
// direction against the image grid.
void MeasureChannelShift(const cv::Mat& image, const std::vector<cv::Rect>& rects, int size,
                         ScreenMeasure* out) {
  double rx = 0, ry = 0, bx = 0, by = 0, r_tiles = 0, b_tiles = 0;
  int counted = 0;
  const cv::Rect inner(kShiftBorder, kShiftBorder, size - 2 * kShiftBorder,
                       size - 2 * kShiftBorder);
  for (const cv::Rect& t : rects) {
    const cv::Rect r(t.x + (t.width - size) / 2, t.y + (t.height - size) / 2, size, size);
    cv::Mat f, low;
    image(r).convertTo(f, CV_32F);
    // The three channels high-passed in one call (the same separable filter
    // per channel as one call each, a third of the calls).
    cv::GaussianBlur(f, low, cv::Size(0, 0), kShiftHighPassSigma, 0, cv::BORDER_REFLECT);
    f -= low;
    std::vector<cv::Mat> bgr;
    cv::split(f, bgr);
    cv::Mat gx, gy;
    cv::Sobel(bgr[1], gx, CV_32F, 1, 0, 3, 0.125, 0, cv::BORDER_REFLECT);
    cv::Sobel(bgr[1], gy, CV_32F, 0, 1, 3, 0.125, 0, cv::BORDER_REFLECT);
    const cv::Mat hg = bgr[1](inner), x = gx(inner), y = gy(inner);
    const Offset red = ChannelOffset(hg, x, y, bgr[2](inner));
    const Offset blue = ChannelOffset(hg, x, y, bgr[0](inner));
    // A tile without edges to register in one of them is left out.
    if (!red.ok || !blue.ok) continue;
    rx += red.x;
    ry += red.y;
    bx += blue.x;
    by += blue.y;
    r_tiles += std::hypot(red.x, red.y);
    b_tiles += std::hypot(blue.x, blue.y);
    ++counted;
  }
  if (counted < kShiftMinTiles) return;
  out->shift_rx = rx / counted;
  out->shift_ry = ry / counted;
  out->shift_bx = bx / counted;
  out->shift_by = by / counted;
  const double r_len = std::hypot(out->shift_rx, out->shift_ry);
  const double b_len = std::hypot(out->shift_bx, out->shift_by);
  const bool red_larger = r_len >= b_len;
  out->channel_shift = std::max(r_len, b_len);
  const double deg = std::atan2(red_larger ? out->shift_ry : out->shift_by,
                                red_larger ? out->shift_rx : out->shift_bx) *
                     180 / 3.14159265358979;
  out->shift_axis_deg = AxisDistance(deg);
  const double tiles_mean = (red_larger ? r_tiles : b_tiles) / counted;
  out->shift_agreement = tiles_mean > 0 ? out->channel_shift / tiles_mean : 0;
  out->channel_shift_counts =
      out->shift_agreement >= kShiftAgreement &&
      out->channel_shift * std::sin(out->shift_axis_deg * 3.14159265358979 / 180) >=
          kShiftAcrossImageAxis;
}

// For each tile, the map that takes a frequency seen in it (cycles per image
// px) to the frequency the same lattice fixed on the page would show at the
// centre tile: J_c^T J_t^-T, J the Jacobian of the image → page map (the
// outline's homography) at the tile's centre. A lattice printed on the page
// lands on one frequency in every tile after it, whatever the perspective;
// a moiré does not (it moves by the perspective times f_grid / f_moiré).
std::vector<cv::Matx22d> PageFrequencyMaps(const std::vector<Tile>& tiles,
                                           const std::array<cv::Point2f, 4>& corners) {
  const std::vector<cv::Point2f> unit = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
  const cv::Mat g =
      cv::getPerspectiveTransform(std::vector<cv::Point2f>(corners.begin(), corners.end()), unit);
  auto jacobian = [&](const cv::Rect& r) {
    const double x = r.x + r.width / 2.0, y = r.y + r.height / 2.0;
    const double w = g.at<double>(2, 0) * x + g.at<double>(2, 1) * y + g.at<double>(2, 2);
    cv::Matx22d j;
    for (int i = 0; i < 2; ++i) {
      const double pi = (g.at<double>(i, 0) * x + g.at<double>(i, 1) * y + g.at<double>(i, 2)) / w;
      for (int k = 0; k < 2; ++k) j(i, k) = (g.at<double>(i, k) - pi * g.at<double>(2, k)) / w;
    }
    return j;
  };
  const cv::Matx22d centre = jacobian(tiles[tiles.size() / 2].rect);
  std::vector<cv::Matx22d> out;
  out.reserve(tiles.size());
  for (const Tile& t : tiles) out.push_back(centre.t() * jacobian(t.rect).t().inv());
  return out;
}

// The scored pair's spread with the outline's perspective taken out: the
// larger of its two peaks' LatticeSpread through PageFrequencyMaps, -1 when
// either is too faint to follow; on the whole frame (a scan, a crop to the
// page: no perspective to take out) m.lattice_spread.
double PageSpread(const std::vector<Tile>& tiles, const std::array<cv::Point2f, 4>& corners,
                  bool whole_frame, const ScreenMeasure& m, int radius) {
  if (whole_frame) return m.lattice_spread;
  const std::vector<cv::Matx22d> maps = PageFrequencyMaps(tiles, corners);
  const double sa = LatticeSpread(tiles, m.off45_a, radius, &maps);
  const double sb = LatticeSpread(tiles, m.off45_b, radius, &maps);
  return sa < 0 || sb < 0 ? -1 : std::max(sa, sb);
}

// A flatbed scan of a print: no page outline in the picture (the tiles
// lie on the whole frame: the outline's corners are the frame's, within
// the frame-corner margin cut-off uses, CornersAreTheFrame; an outline the
// detector found on the frame's corners is no page edge either), a lattice
// that does not move across it (no perspective, no moiré: a print's own dot
// screen), no screen's colour signature, and colour channels in register
// (offset under kPrintOffsetFloor, twice what JPEG leaves: a screen's
// side-by-side subpixels leave more, even when its grid is lost). A screen
// is photographed: its lattice moves with the perspective, and a moiré by
// that times f_grid / f_moiré (docs/checks.md, "a print scanned flat"). A
// scanner whose colour sensor lines are misregistered keeps the review.
bool FlatPrint(const ScreenMeasure& m, bool whole_frame) {
  return whole_frame && m.lattice_spread >= 0 && m.lattice_spread <= kFlatLatticeSpread &&
         m.chroma_lattice < kFlatPrintChromaCeiling && !m.channel_shift_counts &&
         m.channel_shift < kPrintOffsetFloor;
}

// The Hanning windows and band masks of the three tile sizes (and of the
// chroma analysis at half size), made once: they cost as much as a tile's
// FFT. Read-only after the first call, shared by every thread.
struct TileConstants {
  cv::Mat window, mask, half_window, chroma_mask;
};
const TileConstants& ConstantsFor(int n) {
  static const std::array<TileConstants, 3> kConstants = [] {
    std::array<TileConstants, 3> out;
    for (int i = 0; i < 3; ++i) {
      const int size = 64 << i;
      cv::createHanningWindow(out[i].window, cv::Size(size, size), CV_32F);
      out[i].mask = BandMask(size);
      cv::createHanningWindow(out[i].half_window, cv::Size(size / 2, size / 2), CV_32F);
      out[i].chroma_mask = ChromaMask(size / 2);
    }
    return out;
  }();
  return kConstants[n >= 256 ? 2 : n >= 128 ? 1 : 0];
}

}  // namespace

double PositionSpread(const std::vector<cv::Point2d>& at) {
  if (at.size() < 2) return 0;
  std::vector<double> us, vs;
  for (const cv::Point2d& q : at) {
    us.push_back(q.x);
    vs.push_back(q.y);
  }
  auto median = [](std::vector<double>& x) {
    std::nth_element(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(x.size() / 2), x.end());
    return x[x.size() / 2];
  };
  const cv::Point2d centre(median(us), median(vs));
  std::vector<double> d;
  d.reserve(at.size());
  for (const cv::Point2d& q : at) d.push_back(cv::norm(q - centre));
  std::sort(d.begin(), d.end());
  return d[d.size() - 2];
}

ScreenMeasure MeasureScreen(const cv::Mat& image, const std::array<cv::Point2f, 4>& corners) {
  ScreenMeasure out;
  const cv::Rect frame(0, 0, image.cols, image.rows);
  const cv::Rect bounds =
      cv::boundingRect(std::vector<cv::Point2f>(corners.begin(), corners.end())) & frame;
  const int n = TileSize(bounds);
  if (image.cols < n || image.rows < n) return out;
  const TileConstants& constants = ConstantsFor(n);
  const bool whole_frame = CornersAreTheFrame(corners, image.size());
  const cv::Mat& window = constants.window;
  const cv::Mat& mask = constants.mask;
  std::vector<Tile> tiles;
  for (double b : kTilePositions) {
    for (double a : kTilePositions) {
      // Bilinear point in the quadrilateral (tl, tr, br, bl).
      const cv::Point2f top = corners[0] + a * (corners[1] - corners[0]);
      const cv::Point2f bottom = corners[3] + a * (corners[2] - corners[3]);
      const cv::Point2f c = top + b * (bottom - top);
      const int x = std::clamp(static_cast<int>(c.x) - n / 2, 0, image.cols - n);
      const int y = std::clamp(static_cast<int>(c.y) - n / 2, 0, image.rows - n);
      tiles.push_back(AnalyseTile(image, cv::Rect(x, y, n, n), window, mask));
    }
  }
  out.tiles = static_cast<int>(tiles.size());
  if (image.channels() == 3) {
    std::vector<cv::Rect> rects;
    rects.reserve(tiles.size());
    for (const Tile& t : tiles) rects.push_back(t.rect);
    MeasureChannelShift(image, rects, std::min(n, 128), &out);
  }
  // A screen's lattice stretches a little across the page under perspective:
  // a shared peak may move by a couple of bins between tiles.
  const int radius = n >= 256 ? 2 : 1;
  // Every tile's candidates, scored by their median over all tiles.
  std::vector<SharedPeak> shared;
  std::vector<float> at_peak(tiles.size());
  for (const Tile& source : tiles) {
    for (const cv::Point& bin : source.peaks) {
      for (size_t i = 0; i < tiles.size(); ++i) at_peak[i] = PeakNear(tiles[i], bin, radius);
      std::nth_element(at_peak.begin(), at_peak.begin() + at_peak.size() / 2, at_peak.end());
      const float median = at_peak[at_peak.size() / 2];
      if (median < kSharedFloor) continue;
      const int fu = bin.x <= n / 2 ? bin.x : bin.x - n;
      shared.push_back({static_cast<double>(fu) / n, static_cast<double>(bin.y) / n, median});
    }
  }
  std::sort(shared.begin(), shared.end(),
            [](const SharedPeak& a, const SharedPeak& b) { return a.median > b.median; });
  // One entry per peak (the same peak found from several tiles).
  const double same = (radius + 1.0) / n;
  for (const SharedPeak& p : shared) {
    const bool seen = std::any_of(out.peaks.begin(), out.peaks.end(), [&](const SharedPeak& q) {
      return Near(p.u, p.v, q.u, q.v, same);
    });
    if (!seen) out.peaks.push_back(p);
  }
  if (out.peaks.empty()) return out;
  out.lattice = out.peaks.front().median;
  out.frequency = std::hypot(out.peaks.front().u, out.peaks.front().v);
  // The strongest pair of non-collinear peaks: a two-dimensional lattice
  // (a pixel grid has rows and columns; a hatched background has one
  // direction only, and its JPEG block copies are not a second one). A
  // copy sits at exactly k/8 cycle/px from its pattern, so the only error
  // is where each peak's bin falls: one bin.
  const double block_tolerance = 1.0 / n;
  const double page_deg = PageAxisDeg(corners);
  // Two patterns, not one and its copies: the pair's peaks belong to
  // different patterns (PatternRoots), whose own directions (their roots')
  // are not collinear either. A copy lies in another direction than its
  // pattern, so a copy of a hatch paired with a second, parallel hatch of
  // another pitch is still one direction.
  const size_t np = out.peaks.size();
  const std::vector<int> root = PatternRoots(tiles, out.peaks, radius);
  // The strongest such pair among the peaks `skip` does not exclude.
  auto strongest_pair = [&](const std::vector<bool>& skip, int* best_a, int* best_b) {
    double best = 0;
    for (size_t a = 0; a < np; ++a) {
      for (size_t b = a + 1; b < np; ++b) {
        if (skip[a] || skip[b] || root[a] == root[b]) continue;
        if (!LatticePair(out.peaks[a], out.peaks[b], block_tolerance) ||
            !LatticePair(out.peaks[root[a]], out.peaks[root[b]], block_tolerance)) {
          continue;
        }
        const double m = std::min(out.peaks[a].median, out.peaks[b].median);
        if (m > best) {
          best = m;
          *best_a = static_cast<int>(a);
          *best_b = static_cast<int>(b);
        }
      }
    }
    return best;
  };
  int best_a = -1, best_b = -1;
  out.lattice_2d = strongest_pair(std::vector<bool>(np, false), &best_a, &best_b);
  out.lattice_2d_off45 = out.lattice_2d;
  if (best_a >= 0) {
    out.off45_a = out.peaks[best_a];
    out.off45_b = out.peaks[best_b];
    out.lattice_page_deg =
        std::min(PageAngle(out.peaks[best_a], page_deg), PageAngle(out.peaks[best_b], page_deg));
  }
  // An offset between the colour channels that every tile shares, along the
  // image's rows or columns, is a flatbed scanner's or a screen's shown
  // straight (MeasureChannelShift): a print photographed has none. With
  // one, the print is not taken for granted (the lattice counts as before):
  // a print shown on a screen whose own grid the lens lost looks like the
  // print.
  const bool straight_offset =
      out.shift_agreement >= kShiftAgreement && out.channel_shift >= kPrintOffsetFloor &&
      out.channel_shift * std::sin(out.shift_axis_deg * 3.14159265358979 / 180) <
          kShiftAcrossImageAxis;
  if (best_a >= 0 && out.lattice_page_deg >= 45 - kHalftoneAngleTolerance && !straight_offset) {
    // A halftone's black ink. Its harmonics (sums and differences, wrapped
    // at Nyquist: the (1, 1) harmonic is a lattice along the page) and the
    // other inks' screens (the same pitch at other angles: C 15°, M 75°,
    // Y 0°), and JPEG's block copies of them, are the print's too; the
    // screen lattice is looked for among the peaks they leave.
    const SharedPeak& a = out.peaks[best_a];
    const SharedPeak& b = out.peaks[best_b];
    const double pitch = (std::hypot(a.u, a.v) + std::hypot(b.u, b.v)) / 2;
    std::vector<bool> print(out.peaks.size(), false);
    for (size_t c = 0; c < out.peaks.size(); ++c) {
      const SharedPeak& p = out.peaks[c];
      bool ink = std::fabs(std::hypot(p.u, p.v) - pitch) <= kInkPitchTolerance * pitch;
      for (int i = -2; i <= 2 && !ink; ++i) {
        for (int j = -2; j <= 2 && !ink; ++j) {
          if (i == 0 && j == 0) continue;
          ink = Near(p.u, p.v, Wrap(i * a.u + j * b.u), Wrap(i * a.v + j * b.v), 2 * same);
        }
      }
      print[c] = ink;
    }
    for (size_t c = 0; c < out.peaks.size(); ++c) {
      if (print[c]) continue;
      for (size_t d = 0; d < out.peaks.size() && !print[c]; ++d) {
        print[c] = print[d] && d != c && BlockSideband(out.peaks[d], out.peaks[c], block_tolerance);
      }
    }
    // And the block copies the tile-by-tile test finds (PatternRoots: a
    // copy of an ink's peak whose frequency drifts across the page misses
    // the shared-peak test above by a bin or two).
    std::vector<bool> print_pattern(np, false);
    for (size_t c = 0; c < np; ++c) {
      if (print[c]) print_pattern[root[c]] = true;
    }
    for (size_t c = 0; c < np; ++c) {
      if (print_pattern[root[c]]) print[c] = true;
    }
    out.halftone_45 = true;
    out.off45_a = out.off45_b = SharedPeak{};
    int c = -1, d = -1;
    out.lattice_2d_off45 = strongest_pair(print, &c, &d);
    if (c >= 0) {
      out.off45_a = out.peaks[c];
      out.off45_b = out.peaks[d];
    }
  }
  if (out.off45_a.median > 0 && out.off45_b.median > 0) {
    const double sa = LatticeSpread(tiles, out.off45_a, radius);
    const double sb = LatticeSpread(tiles, out.off45_b, radius);
    out.lattice_spread = sa < 0 || sb < 0 ? -1 : std::max(sa, sb);
    out.lattice_page_spread = PageSpread(tiles, corners, whole_frame, out, radius);
  }
  // The colour signature, only where a lattice was found (a genuine page
  // without one pays nothing for it).
  if (image.channels() == 3 && out.lattice_2d >= kChromaGate) {
    const cv::Mat& half_window = constants.half_window;
    cv::Mat chroma;  // Mean of the tiles' chroma log spectra.
    for (const Tile& t : tiles) {
      const cv::Mat c = ChromaSpectrum(image, t.rect, half_window);
      if (chroma.empty()) {
        chroma = c;
      } else {
        chroma += c;
      }
    }
    chroma /= static_cast<double>(tiles.size());
    out.chroma_lattice = ChromaLattice(chroma, constants.chroma_mask, &out.chroma_peak);
  }
  out.flat_print = FlatPrint(out, whole_frame);

  if (best_a < 0) return out;
  // Peaks nearly as strong that the lattice does not explain (not ±a, ±b,
  // their sums or doubles, wrapped at Nyquist): more lattices at other
  // angles, as the rotated ink screens of a halftone print make.
  const SharedPeak& a = out.peaks[best_a];
  const SharedPeak& b = out.peaks[best_b];
  for (size_t c = 0; c < out.peaks.size(); ++c) {
    if (static_cast<int>(c) == best_a || static_cast<int>(c) == best_b) continue;
    const SharedPeak& p = out.peaks[c];
    if (p.median < std::max<double>(kOtherLatticeFloor, kOtherLatticeShare * out.lattice_2d)) {
      continue;
    }
    bool explained = false;
    for (int i = -2; i <= 2 && !explained; ++i) {
      for (int j = -2; j <= 2 && !explained; ++j) {
        if (i == 0 && j == 0) continue;
        explained = Near(p.u, p.v, Wrap(i * a.u + j * b.u), Wrap(i * a.v + j * b.v), 2 * same);
      }
    }
    if (!explained) ++out.other_lattice_peaks;
  }
  return out;
}

}  // namespace vouch::ocr::internal
