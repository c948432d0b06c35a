"""``deepzoo playground``: a neural-network playground in the browser, running deepzoo itself.

The pieces, each readable alone:

``data``
    The data sets (points in the plane with a class or a value) and the input
    features made from them; NumPy only, so that exported programs can use them.
``session``
    One student's training session: the settings checked against their bounds and
    the registries, the deepzoo model they describe, training in whole epochs,
    the pictures sent to the page, and the program that reproduces the run.
``server``
    The web application (Starlette, served by uvicorn): the page, the menus, and a
    WebSocket per open page. Only this module needs the ``playground`` extra.
``static``
    The page: plain HTML, CSS and JavaScript, no build step, nothing from a CDN.
"""
