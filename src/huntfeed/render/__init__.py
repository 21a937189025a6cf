"""huntfeed.render"""
