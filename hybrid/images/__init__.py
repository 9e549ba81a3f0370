"""Safe image loading from a local path, an http(s) URL or raw bytes.

Every image the project decodes, at ingestion or in an image query, comes through here. Anything
refused raises :class:`~hybrid.errors.ImageRejectedError` whose ``reason`` is one of:

=====================  ==========================================================================
``path_not_allowed``   a local path was given but no image root is configured
``path_outside_root``  the path (after ``..`` and symlinks) leaves the image root
``not_found``          the file does not exist or is not a regular file
``too_large``          more bytes than ``max_bytes`` (file, body, or ``Content-Length``)
``too_many_pixels``    the header announces more than ``max_pixels``
``unsupported_format`` not an image, or a format outside the allow-list
``corrupt``            truncated or undecodable pixel data
``invalid_url``        a URL that cannot be parsed
``scheme_not_allowed`` anything but http and https
``forbidden_address``  the host resolves to a private, loopback, link-local... address
``dns_failed``         the host name does not resolve
``too_many_redirects`` more than ``max_redirects`` hops
``not_an_image``       the server answered with a text/HTML/JSON body
``http_<status>``      a non-2xx answer, e.g. ``http_404``, ``http_503``
``tls_failed``         the server's certificate could not be verified
``fetch_timeout``      the whole download took longer than ``fetch_timeout`` (transient)
``fetch_failed``       connection refused/reset, protocol error (transient)
=====================  ==========================================================================

:func:`is_transient` tells a retrying caller (the Celery ingest task) which of these may succeed
on a later attempt.

URL fetches resolve the host once, check every resolved address, then connect to the checked
address only (the host name still goes in the ``Host`` header and TLS SNI), so DNS rebinding cannot
swap the address between the check and the connection. They use ``httpcore`` (httpx's transport)
directly with a network backend that pins the address and enforces one deadline over the whole
download; httpcore never reads proxy settings from the environment.
"""

from hybrid.images.fetch import Resolver, fetch_image_bytes, is_transient
from hybrid.images.limits import ImageLimits
from hybrid.images.load import ImageRef, decode_image_bytes, load_image

__all__ = [
    "ImageLimits",
    "ImageRef",
    "Resolver",
    "decode_image_bytes",
    "fetch_image_bytes",
    "is_transient",
    "load_image",
]
