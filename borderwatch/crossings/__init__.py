"""Crossings placeholder"""
