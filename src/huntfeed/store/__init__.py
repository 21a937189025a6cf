"""huntfeed.store"""
