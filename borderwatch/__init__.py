"""borderwatch — one operational picture for a national border force.

Data flows one way: sensors -> bus -> fusion -> alerts -> store -> api -> web, with `geo`
(the border model every other part speaks) underneath and `sim`, `coverage`, `crossings`
and `intel` beside it.
"""

__version__ = "0.1.0"
