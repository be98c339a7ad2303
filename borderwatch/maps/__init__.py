"""Static map pictures (PNG) of the border model, with overlays drawn by other parts.

Lives here: BorderMap, a matplotlib figure in lon/lat with the border, sectors, barriers,
sensors, crossings, checkpoints and patrol bases; overlays (detections, truth, tracks,
events, coverage) are added with its plotting methods. May import: geo, matplotlib.
"""

from borderwatch.maps.border_map import BorderMap

__all__ = ["BorderMap"]
